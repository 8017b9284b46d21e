import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../core/rpc';
import {
  FakePortWindow, RendererFakeShell, rendererPortLeakGuard, serveFakeShell,
} from '../../core/test/renderer-desktop-shell';
import { openDesktopConnection } from '../core/desktop';
import { useDesktopStore } from './desktop';

const DESKTOP_PORT = 'relaydesk:desktop-port';

let win: FakePortWindow;
let guard: ReturnType<typeof rendererPortLeakGuard>;
const cleanups: (() => void)[] = [];

/** A started store; in desktop mode with `shell` served over a real MessageChannel. */
async function started(shell: RendererFakeShell | null, desktop = true): Promise<ReturnType<typeof useDesktopStore>> {
  const store = useDesktopStore();
  store.start(() => openDesktopConnection({ desktop, target: win, source: win, timeoutMs: 5000 }));
  cleanups.push(() => store.stop());
  if (shell) {
    post(shell);
    await vi.waitFor(() => expect(store.state).toEqual(shell.state));
  }
  return store;
}

function post(shell: RendererFakeShell): void {
  const served = serveFakeShell(shell);
  cleanups.push(() => served.close());
  win.post(DESKTOP_PORT, [served.port]);
}

beforeEach(() => {
  setActivePinia(createPinia());
  win = new FakePortWindow();
  guard = rendererPortLeakGuard();
});

afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) f();
  await guard.check();
});

describe('useDesktopStore', () => {
  it('is unavailable in a plain browser and actions fail plainly', async () => {
    const store = await started(null, false);
    expect(store.available).toBe(false);
    expect(store.state).toBeNull();
    expect(await store.setSystemProxy(true)).toBe(false);
    expect(store.errors.systemProxy).toEqual({ code: 'E_RPC_CLOSED', message: 'not connected to the desktop shell' });
    expect(store.busy.systemProxy).toBe(false);
  });

  it('is available in the desktop app before the port arrives', async () => {
    const store = await started(null);
    expect(store.available).toBe(true);
    expect(store.connected).toBe(false);
    expect(store.state).toBeNull();
  });

  it('gets the state on connect and follows desktop events', async () => {
    const shell = new RendererFakeShell();
    const store = await started(shell);
    expect(store.connected).toBe(true);
    shell.publish({ ...shell.state, systemProxy: { ...shell.state.systemProxy, enabled: true, port: 1080 } });
    await vi.waitFor(() => expect(store.state?.systemProxy).toMatchObject({ enabled: true, port: 1080 }));
  });

  it('setSystemProxy: busy while under way, then the shell\'s state', async () => {
    const shell = new RendererFakeShell();
    const store = await started(shell);
    const pending = store.setSystemProxy(true);
    expect(store.busy.systemProxy).toBe(true);
    expect(await pending).toBe(true);
    expect(store.busy.systemProxy).toBe(false);
    expect(store.state?.systemProxy.enabled).toBe(true);
    expect(shell.state.systemProxy.enabled).toBe(true);
    expect(store.errors.systemProxy).toBeNull();
  });

  it('setSystemProxy failure keeps the shell\'s error through later pushes and other actions', async () => {
    const shell = new RendererFakeShell();
    const store = await started(shell);
    shell.failSystemProxy = new CoreError('E_STATE_TRANSITION', 'no local proxy is known');
    expect(await store.setSystemProxy(true)).toBe(false);
    expect(store.errors.systemProxy).toEqual({ code: 'E_STATE_TRANSITION', message: 'no local proxy is known' });
    await vi.waitFor(() => expect(store.state?.systemProxy.error).toBe('no local proxy is known'));
    expect(store.state?.systemProxy.enabled).toBe(false);

    // Other actions and state pushes leave it in place.
    expect(await store.setAutoStart(true)).toBe(true);
    expect(await store.updatePrefs({ closeToTray: false })).toBe(true);
    expect(store.state?.prefs.closeToTray).toBe(false);
    expect(store.state?.autoStart.enabled).toBe(true);
    expect(store.errors.systemProxy).toEqual({ code: 'E_STATE_TRANSITION', message: 'no local proxy is known' });

    // It goes once the same action succeeds.
    shell.failSystemProxy = null;
    expect(await store.setSystemProxy(true)).toBe(true);
    expect(store.errors.systemProxy).toBeNull();
    expect(store.state?.systemProxy.error).toBeUndefined();
  });

  it('rejects invalid prefs with the shell\'s validation error', async () => {
    const store = await started(new RendererFakeShell());
    expect(await store.updatePrefs({ theme: 'sepia' as never })).toBe(false);
    expect(store.errors.prefs?.code).toBe('E_CONFIG_INVALID');
    expect(store.state?.prefs.theme).toBe('system');
  });

  it('a second port replaces the session', async () => {
    const first = new RendererFakeShell();
    const second = new RendererFakeShell({ prefs: { theme: 'dark', language: 'zh-CN', closeToTray: false, startMinimized: true } });
    const store = await started(first);
    post(second);
    await vi.waitFor(() => expect(store.state?.prefs.theme).toBe('dark'));
    expect(store.connected).toBe(true);

    expect(await store.setAutoStart(true)).toBe(true);
    expect(second.state.autoStart.enabled).toBe(true);
    expect(first.state.autoStart.enabled).toBe(false);
    // The old shell's pushes no longer reach the store.
    first.publish({ ...first.state, prefs: { ...first.state.prefs, theme: 'light' } });
    second.publish({ ...second.state, prefs: { ...second.state.prefs, startMinimized: false } });
    await vi.waitFor(() => expect(store.state?.prefs.startMinimized).toBe(false));
    expect(store.state?.prefs.theme).toBe('dark');
  });

  it('quit asks the shell once', async () => {
    const shell = new RendererFakeShell();
    const store = await started(shell);
    expect(await store.quit()).toBe(true);
    expect(shell.quitCalls).toBe(1);
    expect(store.errors.quit).toBeNull();
  });
});
