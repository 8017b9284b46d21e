import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppLike } from './api-types';

/** Passed to the app when the OS starts it at login: start in the tray, no window. */
export const HIDDEN_ARG = '--hidden';

/** Starting RelayDesk at login. */
export interface AutoStart {
  readonly supported: boolean;
  isEnabled(): Promise<boolean>;
  setEnabled(enabled: boolean): Promise<void>;
}

export interface AutoStartOptions {
  platform: string;
  app: Pick<AppLike, 'setLoginItemSettings' | 'getLoginItemSettings'>;
  /** $XDG_CONFIG_HOME or ~/.config (Linux). */
  configHome: string;
  /** The command that starts the app: the AppImage, the installed binary, or electron + main in dev. */
  launch: string[];
  /** For the .desktop Icon= key. @default "relaydesk" */
  icon?: string;
}

/** Login items on Windows/macOS (app.setLoginItemSettings), an XDG autostart entry on Linux. */
export function createAutoStart(o: AutoStartOptions): AutoStart {
  if (o.platform === 'linux') return xdgAutoStart(join(o.configHome, 'autostart', 'relaydesk.desktop'), o.launch, o.icon);
  if (o.platform === 'win32' || o.platform === 'darwin') return loginItemAutoStart(o.app);
  return { supported: false, isEnabled: async () => false, setEnabled: async () => { throw new Error('auto-start is not supported on this platform'); } };
}

function loginItemAutoStart(app: AutoStartOptions['app']): AutoStart {
  // Windows keys the registry entry by args too: read with the same ones we write.
  const args = [HIDDEN_ARG];
  return {
    supported: true,
    isEnabled: async () => app.getLoginItemSettings({ args }).openAtLogin,
    setEnabled: async (enabled) => app.setLoginItemSettings({ openAtLogin: enabled, openAsHidden: true, args }),
  };
}

function xdgAutoStart(file: string, launch: string[], icon = 'relaydesk'): AutoStart {
  return {
    supported: true,
    async isEnabled() {
      const text = await readFile(file, 'utf8').catch(() => null);
      // A user may disable the entry from their session settings instead of deleting it.
      return text !== null && !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
    },
    async setEnabled(enabled) {
      if (!enabled) { await rm(file, { force: true }); return; }
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, desktopEntry({ exec: [...launch, HIDDEN_ARG], icon }), { mode: 0o644 });
    },
  };
}

/** The XDG autostart entry (Desktop Entry Specification 1.5). */
export function desktopEntry(o: { exec: string[]; icon: string }): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.5',
    'Name=RelayDesk',
    'Comment=Local proxy, relays and tunnels',
    `Exec=${desktopExec(o.exec)}`,
    `Icon=${o.icon}`,
    'Terminal=false',
    'Categories=Network;',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * An argv as an Exec= value: arguments with reserved characters in double quotes with `"`, `` ` ``,
 * `$` and `\` backslash-escaped; `%` doubled (field codes); then the string-value escaping of
 * backslashes, as the spec applies both.
 */
export function desktopExec(argv: string[]): string {
  return argv.map((arg) => {
    const a = arg.replace(/%/g, '%%');
    const quoted = a === '' || RESERVED.test(a) ? `"${a.replace(/["`$\\]/g, (c) => `\\${c}`)}"` : a;
    return quoted.replace(/\\/g, '\\\\');
  }).join(' ');
}
