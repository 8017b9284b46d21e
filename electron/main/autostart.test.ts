import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoginItemSettings } from './api-types';
import { HIDDEN_ARG, createAutoStart, desktopEntry, desktopExec } from './autostart';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function fakeLoginItems() {
  const state = { settings: null as LoginItemSettings | null, readArgs: [] as Array<string[] | undefined> };
  return {
    state,
    setLoginItemSettings: (s: LoginItemSettings) => { state.settings = s; },
    getLoginItemSettings: (o?: { args?: string[] }) => { state.readArgs.push(o?.args); return { openAtLogin: state.settings?.openAtLogin ?? false }; },
  };
}

describe('autostart', () => {
  it('the .desktop entry starts the app hidden', () => {
    expect(desktopEntry({ exec: ['/opt/RelayDesk/relaydesk', HIDDEN_ARG], icon: 'relaydesk' })).toBe([
      '[Desktop Entry]',
      'Type=Application',
      'Version=1.5',
      'Name=RelayDesk',
      'Comment=Local proxy, relays and tunnels',
      'Exec=/opt/RelayDesk/relaydesk --hidden',
      'Icon=relaydesk',
      'Terminal=false',
      'Categories=Network;',
      'X-GNOME-Autostart-enabled=true',
      '',
    ].join('\n'));
  });

  it('Exec= quoting follows the Desktop Entry spec', () => {
    expect(desktopExec(['/home/me/Apps/Relay Desk.AppImage', '--hidden'])).toBe('"/home/me/Apps/Relay Desk.AppImage" --hidden');
    expect(desktopExec(['/a/$HOME"x"', '100%'])).toBe('"/a/\\\\$HOME\\\\"x\\\\"" 100%%');
    expect(desktopExec(['a\\b'])).toBe('"a\\\\\\\\b"');
    expect(desktopExec([''])).toBe('""');
  });

  it('Linux: writes and removes ~/.config/autostart/relaydesk.desktop', async () => {
    const home = mkdtempSync(join(tmpdir(), 'relaydesk-autostart-'));
    dirs.push(home);
    const a = createAutoStart({ platform: 'linux', app: fakeLoginItems(), configHome: home, launch: ['/tmp/RelayDesk.AppImage'] });
    const file = join(home, 'autostart', 'relaydesk.desktop');
    expect(a.supported).toBe(true);
    expect(await a.isEnabled()).toBe(false);
    await a.setEnabled(true);
    expect(readFileSync(file, 'utf8')).toContain('Exec=/tmp/RelayDesk.AppImage --hidden\n');
    expect(await a.isEnabled()).toBe(true);
    // Disabled from the session settings (Hidden=true) counts as off.
    writeFileSync(file, `${readFileSync(file, 'utf8')}Hidden=true\n`);
    expect(await a.isEnabled()).toBe(false);
    await a.setEnabled(false);
    expect(existsSync(file)).toBe(false);
    await a.setEnabled(false); // idempotent
  });

  it('Windows/macOS: login item with the hidden flag, read back with the same args', async () => {
    for (const platform of ['win32', 'darwin']) {
      const app = fakeLoginItems();
      const a = createAutoStart({ platform, app, configHome: '/nonexistent', launch: [] });
      await a.setEnabled(true);
      expect(app.state.settings).toEqual({ openAtLogin: true, openAsHidden: true, args: [HIDDEN_ARG] });
      expect(await a.isEnabled()).toBe(true);
      expect(app.state.readArgs.at(-1)).toEqual([HIDDEN_ARG]);
      await a.setEnabled(false);
      expect(await a.isEnabled()).toBe(false);
    }
  });

  it('elsewhere: unsupported', async () => {
    const a = createAutoStart({ platform: 'freebsd', app: fakeLoginItems(), configHome: '/x', launch: [] });
    expect(a.supported).toBe(false);
    expect(await a.isEnabled()).toBe(false);
    await expect(a.setEnabled(true)).rejects.toThrow(/not supported/);
  });
});
