import { describe, expect, it } from 'vitest';
import { fakeReg, fakeTools } from '../../../core/test/electron-sysproxy-fakes';
import type { SavedSystemProxy } from '../prefs';
import { createSystemProxy } from './index';
import { WININET_REFRESH_SCRIPT, parseRegQuery, winDriver } from './win32';

const KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
const target = { host: '127.0.0.1', port: 7890 };
const slot = () => {
  const s = { value: null as SavedSystemProxy | null, get: () => s.value, set: (v: SavedSystemProxy | null) => { s.value = v; } };
  return s;
};

describe('Windows (registry)', () => {
  it('parses reg query output, including empty REG_SZ values', () => {
    const out = '\r\nHKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\r\n'
      + '    ProxyEnable    REG_DWORD    0x1\r\n    ProxyServer    REG_SZ    127.0.0.1:7890\r\n    ProxyOverride    REG_SZ    \r\n\r\n';
    expect(parseRegQuery(out)).toEqual({
      ProxyEnable: { type: 'REG_DWORD', data: '0x1' },
      ProxyServer: { type: 'REG_SZ', data: '127.0.0.1:7890' },
      ProxyOverride: { type: 'REG_SZ', data: '' },
    });
  });

  it('plans reg add for server, bypass list and enable, sets a PAC URL aside, then refreshes WinINet', () => {
    const cmds = winDriver.plan(true, { target, current: { ProxyEnable: null, ProxyServer: null, ProxyOverride: null, AutoConfigURL: null } });
    expect(cmds.map((c) => c.argv)).toEqual([
      ['reg', 'add', KEY, '/v', 'ProxyServer', '/t', 'REG_SZ', '/d', '127.0.0.1:7890', '/f'],
      ['reg', 'add', KEY, '/v', 'ProxyOverride', '/t', 'REG_SZ', '/d', expect.stringMatching(/^localhost;127\.\*;10\.\*;172\.16\.\*;.*192\.168\.\*;<local>$/), '/f'],
      ['reg', 'delete', KEY, '/v', 'AutoConfigURL', '/f'],
      ['reg', 'add', KEY, '/v', 'ProxyEnable', '/t', 'REG_DWORD', '/d', '1', '/f'],
      ['powershell.exe', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', WININET_REFRESH_SCRIPT],
    ]);
    expect(cmds.filter((c) => c.bestEffort).map((c) => c.argv[0])).toEqual(['reg', 'powershell.exe']);
    expect(WININET_REFRESH_SCRIPT).toMatch(/InternetSetOption\(\[System\.IntPtr\]::Zero,39,.*InternetSetOption\(\[System\.IntPtr\]::Zero,37,/);
    expect(winDriver.plan(false, { current: { ProxyEnable: '0x1', ProxyServer: null, ProxyOverride: null, AutoConfigURL: null } })[0].argv)
      .toEqual(['reg', 'add', KEY, '/v', 'ProxyEnable', '/t', 'REG_DWORD', '/d', '0', '/f']);
  });

  it('restores the previous values exactly, deleting the ones that did not exist', async () => {
    const reg = fakeReg({
      ProxyEnable: { type: 'REG_DWORD', data: '0' },
      AutoConfigURL: { type: 'REG_SZ', data: 'http://wpad/wpad.dat' },
      ProxyOverride: { type: 'REG_SZ', data: '*.corp;<local>' },
    });
    const warnings: string[] = [];
    const saved = slot();
    // No PowerShell here: the refresh is best effort.
    const sp = createSystemProxy({ driver: winDriver, exec: fakeTools({ reg: reg.handler }).exec, saved, warn: (m) => warnings.push(m) });
    await sp.enable(target);
    expect(Object.fromEntries(reg.values)).toEqual({
      ProxyEnable: { type: 'REG_DWORD', data: '1' },
      ProxyServer: { type: 'REG_SZ', data: '127.0.0.1:7890' },
      ProxyOverride: { type: 'REG_SZ', data: expect.stringContaining('<local>') },
    });
    expect(await sp.status(target)).toEqual({ enabled: true, supported: true });
    expect(warnings).toEqual([expect.stringContaining('powershell.exe failed (ignored)')]);

    await sp.disable();
    expect(Object.fromEntries(reg.values)).toEqual({
      ProxyEnable: { type: 'REG_DWORD', data: '0' },
      AutoConfigURL: { type: 'REG_SZ', data: 'http://wpad/wpad.dat' },
      ProxyOverride: { type: 'REG_SZ', data: '*.corp;<local>' },
    });
    expect(saved.value).toBeNull();
  });

  it('an unsupported platform rejects changes and reports unsupported', async () => {
    const sp = createSystemProxy({ driver: null, exec: fakeTools({}).exec, saved: slot() });
    expect(sp.supported).toBe(false);
    expect(await sp.status(target)).toEqual({ enabled: false, supported: false });
    await expect(sp.enable(target)).rejects.toMatchObject({ code: 'E_STATE_TRANSITION' });
  });
});
