import { describe, expect, it } from 'vitest';
import { FakeTray } from '../../core/test/electron-fakes';
import { TrayController, buildTrayMenu, proxyEnvCommand, runTrayAction, trayToolTip, type TrayActions, type TrayState } from './tray';
import { resolveLanguage } from './tray-labels';

const base: TrayState = {
  language: 'en',
  systemProxy: { enabled: false, supported: true },
  autoStart: { enabled: false, supported: true },
  routeMode: 'rule',
  proxyAddress: { host: '127.0.0.1', port: 7890 },
  engineDown: false,
};

const item = (state: TrayState, id: string) => buildTrayMenu(state).find((i) => i.id === id)!;

function recorder() {
  const calls: unknown[][] = [];
  const actions: TrayActions = {
    show: () => calls.push(['show']),
    setSystemProxy: (on) => { calls.push(['systemProxy', on]); },
    setRouteMode: (m) => { calls.push(['mode', m]); },
    copyProxyEnv: (c) => calls.push(['copy', c]),
    setAutoStart: (on) => { calls.push(['autoStart', on]); },
    quit: () => calls.push(['quit']),
    failed: (a, e) => calls.push(['failed', a, (e as Error).message]),
  };
  return { calls, actions };
}

describe('tray menu as data', () => {
  it('the full menu for a connected engine', () => {
    expect(buildTrayMenu(base)).toEqual([
      { id: 'show', type: 'normal', label: 'Show Dashboard' },
      { type: 'separator' },
      { id: 'toggleSystemProxy', type: 'checkbox', label: 'System Proxy', checked: false, enabled: true },
      { type: 'normal', label: 'Route Mode', enabled: false },
      { id: 'mode:global', type: 'radio', label: 'Global', checked: false, enabled: true },
      { id: 'mode:rule', type: 'radio', label: 'Rule', checked: true, enabled: true },
      { id: 'mode:direct', type: 'radio', label: 'Direct', checked: false, enabled: true },
      { type: 'separator' },
      { id: 'copyProxyEnv', type: 'normal', label: 'Copy Proxy Command', enabled: true },
      { id: 'toggleAutoStart', type: 'checkbox', label: 'Start at Login', checked: false, enabled: true },
      { type: 'separator' },
      { id: 'quit', type: 'normal', label: 'Quit RelayDesk' },
    ]);
  });

  it('checks follow the state; exactly one mode is checked', () => {
    const s = { ...base, systemProxy: { enabled: true, supported: true }, autoStart: { enabled: true, supported: true }, routeMode: 'direct' as const };
    expect(item(s, 'toggleSystemProxy').checked).toBe(true);
    expect(item(s, 'toggleAutoStart').checked).toBe(true);
    expect(buildTrayMenu(s).filter((i) => i.type === 'radio' && i.checked).map((i) => i.id)).toEqual(['mode:direct']);
  });

  it('engine down: modes and copy disabled; system proxy can still be turned off, not on', () => {
    const down = { ...base, routeMode: null, proxyAddress: null, engineDown: true };
    expect(buildTrayMenu(down).filter((i) => i.type === 'radio').every((i) => i.enabled === false && !i.checked)).toBe(true);
    expect(item(down, 'copyProxyEnv').enabled).toBe(false);
    expect(item(down, 'toggleSystemProxy').enabled).toBe(false);
    expect(item({ ...down, systemProxy: { enabled: true, supported: true } }, 'toggleSystemProxy').enabled).toBe(true);
    expect(trayToolTip(down)).toBe('RelayDesk — engine restarting…');
  });

  it('unsupported system proxy / auto-start are disabled', () => {
    const s = { ...base, systemProxy: { enabled: false, supported: false }, autoStart: { enabled: false, supported: false } };
    expect(item(s, 'toggleSystemProxy').enabled).toBe(false);
    expect(item(s, 'toggleAutoStart').enabled).toBe(false);
  });

  it('labels in Chinese; "system" language follows the OS locale', () => {
    const zh = buildTrayMenu({ ...base, language: 'zh-CN' });
    expect(zh.map((i) => i.label).filter(Boolean)).toEqual(['显示面板', '系统代理', '路由模式', '全局', '规则', '直连', '复制终端代理命令', '开机启动', '退出 RelayDesk']);
    expect(resolveLanguage('system', 'zh-TW')).toBe('zh-CN');
    expect(resolveLanguage('system', 'de-DE')).toBe('en');
    expect(resolveLanguage('en', 'zh-CN')).toBe('en');
  });

  it('tooltip shows the address and mode', () => {
    expect(trayToolTip(base)).toBe('RelayDesk — 127.0.0.1:7890 · Rule');
    expect(trayToolTip({ ...base, proxyAddress: { host: '::1', port: 1080 }, routeMode: null })).toBe('RelayDesk — [::1]:1080');
  });

  it('proxy env command per shell', () => {
    expect(proxyEnvCommand({ host: '127.0.0.1', port: 7890 }, 'linux'))
      .toBe('export https_proxy=http://127.0.0.1:7890 http_proxy=http://127.0.0.1:7890 all_proxy=socks5://127.0.0.1:7890');
    expect(proxyEnvCommand({ host: '::1', port: 7890 }, 'darwin')).toContain('http_proxy=http://[::1]:7890');
    expect(proxyEnvCommand({ host: '127.0.0.1', port: 7890 }, 'win32'))
      .toBe('$env:HTTPS_PROXY="http://127.0.0.1:7890"; $env:HTTP_PROXY="http://127.0.0.1:7890"; $env:ALL_PROXY="socks5://127.0.0.1:7890"');
  });
});

describe('tray actions', () => {
  it('each item does its one thing, toggles from the state the menu showed', async () => {
    const { calls, actions } = recorder();
    for (const id of ['show', 'toggleSystemProxy', 'mode:global', 'copyProxyEnv', 'toggleAutoStart', 'quit']) {
      await runTrayAction(id, { ...base, autoStart: { enabled: true, supported: true } }, actions, 'linux');
    }
    expect(calls).toEqual([
      ['show'], ['systemProxy', true], ['mode', 'global'],
      ['copy', 'export https_proxy=http://127.0.0.1:7890 http_proxy=http://127.0.0.1:7890 all_proxy=socks5://127.0.0.1:7890'],
      ['autoStart', false], ['quit'],
    ]);
  });

  it('a failing action is reported, not thrown', async () => {
    const { calls, actions } = recorder();
    actions.setSystemProxy = async () => { throw new Error('gsettings not found'); };
    await runTrayAction('toggleSystemProxy', base, actions, 'linux');
    expect(calls).toEqual([['failed', 'toggleSystemProxy', 'gsettings not found']]);
  });

  it('the controller re-renders on change only, and clicks reach the actions', async () => {
    const tray = new FakeTray('/icons/tray.png');
    const { calls, actions } = recorder();
    const c = new TrayController(tray, base, actions, 'linux');
    const first = tray.menu;
    c.update({ routeMode: 'rule' });
    expect(tray.menu).toBe(first);
    c.update({ routeMode: 'global' });
    expect(tray.menu.find((i) => i.id === 'mode:global')?.checked).toBe(true);
    expect(tray.tooltip).toBe('RelayDesk — 127.0.0.1:7890 · Global');
    tray.click('mode:direct');
    tray.clickIcon();
    await Promise.resolve();
    expect(calls).toEqual([['mode', 'direct'], ['show']]);
    calls.length = 0;
    // A toggle that changed nothing (it failed) redraws the menu so the OS's check mark is undone.
    const before = tray.menu;
    tray.click('toggleSystemProxy');
    await new Promise((r) => setTimeout(r, 0));
    expect(tray.menu).not.toBe(before);
    expect(tray.menu).toEqual(before);
    c.dispose();
    expect(tray.destroyed).toBe(true);
  });
});
