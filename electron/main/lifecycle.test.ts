import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultDataDir } from '../../core/cli/paths';
import { appPaths, engineDataDir, installQuitSequence, launchCommand } from './lifecycle';

afterEach(() => { vi.useRealTimers(); });

/** app.quit(): emits before-quit; quits unless a listener vetoed. */
function fakeApp() {
  const app = Object.assign(new EventEmitter(), {
    quits: 0,
    quitted: false,
    quit() {
      app.quits++;
      let vetoed = false;
      app.emit('before-quit', { preventDefault: () => { vetoed = true; } });
      if (!vetoed) app.quitted = true;
    },
  });
  return app;
}

describe('quit sequence', () => {
  it('holds the first quit until cleanup is done, then quits for real; later quits do not rerun it', async () => {
    const app = fakeApp();
    let release!: () => void;
    const cleanup = vi.fn(() => new Promise<void>((r) => { release = r; }));
    const q = installQuitSequence(app, cleanup);
    expect(q.quitting).toBe(false);
    app.quit();
    expect(app.quitted).toBe(false);
    expect(q.quitting).toBe(true);
    app.quit(); // a second request while cleaning: still held, cleanup not run twice
    expect(cleanup).toHaveBeenCalledTimes(1);
    release();
    await vi.waitFor(() => expect(app.quitted).toBe(true));
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('a failing or hanging cleanup does not keep the app alive', async () => {
    vi.useFakeTimers();
    const logs: string[] = [];
    const hanging = fakeApp();
    installQuitSequence(hanging, () => new Promise(() => undefined), { timeoutMs: 2000, log: (m) => logs.push(m) });
    hanging.quit();
    await vi.advanceTimersByTimeAsync(1999);
    expect(hanging.quitted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(hanging.quitted).toBe(true);

    const failing = fakeApp();
    installQuitSequence(failing, async () => { throw new Error('boom'); }, { log: (m) => logs.push(m) });
    failing.quit();
    await vi.advanceTimersByTimeAsync(0);
    expect(failing.quitted).toBe(true);
    expect(logs).toEqual(['quit cleanup took over 2000 ms; quitting anyway', 'quit cleanup failed: boom']);
  });
});

describe('paths', () => {
  it('the engine data dir is the one `relaydesk serve` uses, on every OS', () => {
    const cases: Array<[Record<string, string | undefined>, string, string]> = [
      [{}, 'linux', '/home/u'],
      [{ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u'],
      [{}, 'darwin', '/Users/u'],
      [{ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'],
      [{ RELAYDESK_DATA_DIR: '/data/rd' }, 'linux', '/home/u'],
    ];
    for (const [env, platform, home] of cases) {
      expect(engineDataDir(env, platform, home)).toBe(defaultDataDir(env, platform as NodeJS.Platform, home));
    }
    expect(engineDataDir({}, 'linux', '/home/u')).toBe('/home/u/.config/relaydesk');
  });

  it('bundle and icon paths from the app root', () => {
    expect(appPaths('/app', 'linux')).toEqual({
      coreMain: '/app/dist/core-main.js',
      preload: '/app/dist/electron/preload.cjs',
      indexHtml: '/app/dist/renderer/index.html',
      windowIcon: '/app/build/icons/256x256.png',
      trayIcon: '/app/build/icons/tray.png',
    });
    expect(appPaths('/app', 'darwin').trayIcon).toBe('/app/build/icons/trayTemplate.png');
  });

  it('the launch command: AppImage, installed binary, or electron + main in dev', () => {
    expect(launchCommand({ packaged: true, env: { APPIMAGE: '/home/u/RelayDesk.AppImage' }, exePath: '/tmp/.mount/relaydesk', mainScript: '' })).toEqual(['/home/u/RelayDesk.AppImage']);
    expect(launchCommand({ packaged: true, env: {}, exePath: '/opt/RelayDesk/relaydesk', mainScript: '/x' })).toEqual(['/opt/RelayDesk/relaydesk']);
    expect(launchCommand({ packaged: false, env: {}, exePath: '/r/node_modules/electron/dist/electron', mainScript: '/r/dist/electron/main.cjs' }))
      .toEqual(['/r/node_modules/electron/dist/electron', '/r/dist/electron/main.cjs']);
  });
});
