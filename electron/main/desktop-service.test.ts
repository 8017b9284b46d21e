import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeChannels } from '../../core/test/electron-fakes';
import { fakeGsettings, fakeTools } from '../../core/test/electron-sysproxy-fakes';
import { messagePortChannel, type Rpc } from '../../core/rpc';
import { connectDesktop, type DesktopApi, type DesktopEvents, type DesktopState } from '../../core/rpc/desktop';
import type { MessagePortLike } from './api-types';
import { createAutoStart } from './autostart';
import { DesktopService } from './desktop-service';
import { memoryBackend, openPrefs } from './prefs';
import { createSystemProxy } from './sysproxy';
import { gnomeDriver } from './sysproxy/linux';

const G = 'org.gnome.system.proxy';
const channels = new NodeChannels();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  channels.closeAll();
});

function setup(opts: { tools?: ReturnType<typeof fakeTools>; target?: { host: string; port: number } | null; prefs?: unknown } = {}) {
  const gs = fakeGsettings({ [`${G} mode`]: "'auto'" });
  const tools = opts.tools ?? fakeTools({ gsettings: gs.handler });
  const backend = memoryBackend(opts.prefs ?? {});
  const prefs = openPrefs(backend);
  const home = mkdtempSync(join(tmpdir(), 'relaydesk-desktop-'));
  let target = opts.target === undefined ? { host: '127.0.0.1', port: 7890 } : opts.target;
  const quits: number[] = [];
  const svc = new DesktopService({
    prefs,
    systemProxy: createSystemProxy({
      driver: gnomeDriver, exec: tools.exec,
      saved: { get: () => prefs.get().savedSystemProxy, set: (v) => prefs.update({ savedSystemProxy: v }) },
    }),
    autoStart: createAutoStart({ platform: 'linux', app: { setLoginItemSettings: () => undefined, getLoginItemSettings: () => ({ openAtLogin: false }) }, configHome: home, launch: ['/opt/relaydesk'] }),
    proxyTarget: () => target,
    channels,
    quit: () => quits.push(Date.now()),
  });
  cleanups.push(() => { svc.close(); rmSync(home, { recursive: true, force: true }); });
  return { svc, gs, prefs, backend, quits, setTarget: (t: typeof target) => { target = t; } };
}

/** A renderer-side session, the way a window gets one: a port from attach().issue(). */
function windowSession(svc: DesktopService): { rpc: () => Rpc<DesktopApi, DesktopEvents>; issue(): void; dispose(): void; ports: MessagePortLike[] } {
  const ports: MessagePortLike[] = [];
  let current: Rpc<DesktopApi, DesktopEvents> | null = null;
  const lease = svc.attach((port) => {
    ports.push(port);
    current = connectDesktop(messagePortChannel(port), { timeoutMs: 3000 });
  });
  lease.issue();
  cleanups.push(() => current?.close());
  return { rpc: () => current!, issue: () => lease.issue(), dispose: () => lease.dispose(), ports };
}

describe('DesktopService over a MessagePort (the desktop contract)', () => {
  it('reports the state, turns the system proxy on and off (restoring the user\'s), pushes events', async () => {
    const { svc, gs, prefs } = setup();
    const w = windowSession(svc);
    const state = await w.rpc().api.getDesktopState();
    expect(state).toEqual({
      systemProxy: { enabled: false, host: '127.0.0.1', port: 7890, supported: true },
      autoStart: { enabled: false, supported: true },
      prefs: { theme: 'system', language: 'system', closeToTray: true, startMinimized: false },
    });
    const pushed: DesktopState[] = [];
    w.rpc().on('desktop', (s) => pushed.push(s));
    await w.rpc().api.getDesktopState(); // the subscription has arrived

    const on = await w.rpc().api.setSystemProxy({ enabled: true });
    expect(on.systemProxy).toEqual({ enabled: true, host: '127.0.0.1', port: 7890, supported: true });
    expect(gs.state.get(`${G} mode`)).toBe("'manual'");
    expect(prefs.get()).toMatchObject({ systemProxyOnLaunch: true, savedSystemProxy: { driver: 'gnome' } });
    await expect.poll(() => pushed.at(-1)?.systemProxy.enabled).toBe(true);

    const off = await w.rpc().api.setSystemProxy({ enabled: false });
    expect(off.systemProxy.enabled).toBe(false);
    expect(gs.state.get(`${G} mode`)).toBe("'auto'");
    expect(prefs.get()).toMatchObject({ systemProxyOnLaunch: false, savedSystemProxy: null });
  });

  it('an explicit host/port overrides the local proxy\'s address', async () => {
    const { svc, gs } = setup();
    const w = windowSession(svc);
    const s = await w.rpc().api.setSystemProxy({ enabled: true, host: '127.0.0.2', port: 1080 });
    expect(s.systemProxy).toMatchObject({ enabled: true, host: '127.0.0.2', port: 1080 });
    expect(gs.state.get(`${G}.http port`)).toBe('1080');
  });

  it('gsettings missing: the call fails with a message naming it, the state carries the error', async () => {
    const { svc } = setup({ tools: fakeTools({}) });
    const w = windowSession(svc);
    const err = await w.rpc().api.setSystemProxy({ enabled: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_INTERNAL' });
    expect((err as Error).message).toMatch(/^gsettings not found/);
    expect(svc.current.systemProxy).toMatchObject({ enabled: false, supported: false, error: expect.stringMatching(/^gsettings not found/) });
  });

  it('no local proxy known: E_STATE_TRANSITION, nothing touched', async () => {
    const { svc, gs } = setup({ target: null });
    const w = windowSession(svc);
    await expect(w.rpc().api.setSystemProxy({ enabled: true })).rejects.toMatchObject({ code: 'E_STATE_TRANSITION' });
    expect(gs.state.get(`${G} mode`)).toBe("'auto'");
  });

  it('prefs: validated by the contract, persisted, pushed', async () => {
    const { svc, backend } = setup();
    const w = windowSession(svc);
    await expect(w.rpc().api.updatePrefs({ theme: 'neon' as never })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    await expect(w.rpc().api.updatePrefs({ savedSystemProxy: null } as never)).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    const s = await w.rpc().api.updatePrefs({ theme: 'dark', language: 'zh-CN' });
    expect(s.prefs).toEqual({ theme: 'dark', language: 'zh-CN', closeToTray: true, startMinimized: false });
    expect(backend.data).toMatchObject({ theme: 'dark', language: 'zh-CN' });
  });

  it('auto-start through the contract writes the autostart entry', async () => {
    const { svc } = setup();
    const w = windowSession(svc);
    expect((await w.rpc().api.setAutoStart({ enabled: true })).autoStart).toEqual({ enabled: true, supported: true });
    expect((await w.rpc().api.setAutoStart({ enabled: false })).autoStart.enabled).toBe(false);
  });

  it('quit answers, then starts the quit sequence', async () => {
    const { svc, quits } = setup();
    const w = windowSession(svc);
    expect(await w.rpc().api.quit()).toEqual({ ok: true });
    await expect.poll(() => quits.length).toBe(1);
  });

  it('each issue() is a new session on a new port; the previous one ends; dispose ends the last', async () => {
    const { svc } = setup();
    const w = windowSession(svc);
    const first = w.rpc();
    await first.ready;
    const firstClosed = new Promise((r) => first.onClose(r));
    w.issue();
    await firstClosed;
    expect(w.ports).toHaveLength(2);
    expect(w.ports[0]).not.toBe(w.ports[1]);
    expect((await w.rpc().api.getDesktopState()).systemProxy.supported).toBe(true);
    const second = w.rpc();
    const secondClosed = new Promise((r) => second.onClose(r));
    w.dispose();
    await secondClosed;
    w.issue();
    expect(w.ports).toHaveLength(2);
  });
});

describe('DesktopService: keeping the system proxy on the local proxy', () => {
  it('re-enables at launch when the user left it on, follows a port change, restores on quit', async () => {
    const { svc, gs, prefs, setTarget } = setup({ prefs: { systemProxyOnLaunch: true } });
    await svc.syncSystemProxy();
    expect(gs.state.get(`${G}.http port`)).toBe('7890');
    setTarget({ host: '127.0.0.1', port: 7891 });
    await svc.syncSystemProxy();
    expect(gs.state.get(`${G}.http port`)).toBe('7891');
    // The saved settings are still the user's, not our first address.
    expect(prefs.get().savedSystemProxy?.settings).toMatchObject({ mode: "'auto'" });
    await svc.restoreSystemProxy();
    expect(gs.state.get(`${G} mode`)).toBe("'auto'");
    // The wish survives quitting: next launch turns it on again.
    expect(prefs.get().systemProxyOnLaunch).toBe(true);
  });

  it('does nothing when the user had it off', async () => {
    const { svc, gs } = setup();
    await svc.syncSystemProxy();
    await svc.restoreSystemProxy();
    expect(gs.state.get(`${G} mode`)).toBe("'auto'");
  });
});
