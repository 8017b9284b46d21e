import { join, resolve } from 'node:path';
import type { AppLike } from './api-types';

/** Where the bundled pieces are, from the app root (the repo in dev, app.asar when packaged). */
export interface AppPaths {
  /** dist/core-main.js: the engine's utility-process entry. */
  coreMain: string;
  preload: string;
  indexHtml: string;
  /** Window icon (Linux/Windows). */
  windowIcon: string;
  /** Tray icon: a template image on macOS, a small colored one elsewhere. */
  trayIcon: string;
}

export function appPaths(root: string, platform: string): AppPaths {
  const icons = join(root, 'build', 'icons');
  return {
    coreMain: join(root, 'dist', 'core-main.js'),
    preload: join(root, 'dist', 'electron', 'preload.cjs'),
    indexHtml: join(root, 'dist', 'renderer', 'index.html'),
    windowIcon: join(icons, '256x256.png'),
    trayIcon: join(icons, platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'),
  };
}

/**
 * The engine's data dir. The same rule as `relaydesk serve` (core/cli/paths.ts, which main may
 * not import): `$RELAYDESK_DATA_DIR`, else `%APPDATA%\RelayDesk`, `~/Library/Application
 * Support/RelayDesk` or `$XDG_CONFIG_HOME/relaydesk` — so the desktop app and the headless
 * server share one engine state (and its lock keeps them from running on it at once).
 */
export function engineDataDir(env: Record<string, string | undefined>, platform: string, home: string): string {
  if (env.RELAYDESK_DATA_DIR) return resolve(env.RELAYDESK_DATA_DIR);
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'RelayDesk');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'RelayDesk');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'relaydesk');
}

/** The command that starts this app (for the Linux autostart entry). */
export function launchCommand(o: { packaged: boolean; env: Record<string, string | undefined>; exePath: string; mainScript: string }): string[] {
  if (o.env.APPIMAGE) return [o.env.APPIMAGE];
  return o.packaged ? [o.exePath] : [o.exePath, o.mainScript];
}

/**
 * Runs `cleanup` once before the app quits: the first 'before-quit' is held (preventDefault)
 * until cleanup finishes or times out, then quit is asked again and goes through.
 */
export function installQuitSequence(
  app: Pick<AppLike, 'on' | 'quit'>,
  cleanup: () => Promise<void>,
  options: { timeoutMs?: number; log?: (message: string) => void } = {},
): { readonly quitting: boolean } {
  const { timeoutMs = 10_000, log = () => undefined } = options;
  let phase: 'running' | 'cleaning' | 'done' = 'running';
  app.on('before-quit', (e) => {
    if (phase === 'done') return;
    e.preventDefault();
    if (phase === 'cleaning') return;
    phase = 'cleaning';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => { timer = setTimeout(() => { log(`quit cleanup took over ${timeoutMs} ms; quitting anyway`); r(); }, timeoutMs); });
    void Promise.race([cleanup().catch((err: unknown) => log(`quit cleanup failed: ${(err as Error).message}`)), timeout]).then(() => {
      clearTimeout(timer);
      phase = 'done';
      app.quit();
    });
  });
  return { get quitting() { return phase !== 'running'; } };
}
