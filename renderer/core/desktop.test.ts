import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FakePortWindow, RendererFakeShell, rendererPortLeakGuard, serveFakeShell, type ServedShellPort,
} from '../../core/test/renderer-desktop-shell';
import type { DesktopState } from '../../core/rpc';
import { openDesktopConnection, type DesktopConnection, type DesktopRpc } from './desktop';

const DESKTOP_PORT = 'relaydesk:desktop-port';

let win: FakePortWindow;
let guard: ReturnType<typeof rendererPortLeakGuard>;
const cleanups: (() => void)[] = [];

function open(desktop = true): DesktopConnection {
  const conn = openDesktopConnection({ desktop, target: win, source: win, timeoutMs: 5000 });
  cleanups.push(() => conn.close());
  return conn;
}

function serve(shell: RendererFakeShell): ServedShellPort {
  const served = serveFakeShell(shell);
  cleanups.push(() => served.close());
  return served;
}

beforeEach(() => {
  win = new FakePortWindow();
  guard = rendererPortLeakGuard();
});

afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) f();
  await guard.check();
});

describe('openDesktopConnection', () => {
  it('does nothing in a plain browser', () => {
    const conn = open(false);
    expect(conn.status).toBe('unavailable');
    expect(conn.session).toBeNull();
    expect(win.listeners.size).toBe(0);
  });

  it('wraps the port the preload posts; state arrives and follows desktop events', async () => {
    const shell = new RendererFakeShell();
    const conn = open();
    expect(conn.status).toBe('waiting');
    expect(win.listeners.size).toBe(1);
    const seen: DesktopState[] = [];
    let sessions = 0;
    conn.onSession((rpc) => {
      sessions++;
      return rpc.on('desktop', (s) => seen.push(s));
    });

    win.post(DESKTOP_PORT, [serve(shell).port]);
    await vi.waitFor(() => expect(conn.status).toBe('connected'));
    expect(sessions).toBe(1);
    expect(await conn.session!.api.getDesktopState()).toEqual(shell.state);

    await conn.session!.api.updatePrefs({ theme: 'dark' });
    await vi.waitFor(() => expect(seen.at(-1)?.prefs.theme).toBe('dark'));
    shell.publish({ ...shell.state, autoStart: { enabled: true, supported: true } });
    await vi.waitFor(() => expect(seen.at(-1)?.autoStart.enabled).toBe(true));
  });

  it('ignores messages from other sources and the core port message', async () => {
    const conn = open();
    const foreign = serve(new RendererFakeShell());
    const corePort = serve(new RendererFakeShell());
    win.post(DESKTOP_PORT, [foreign.port], {});
    win.post('relaydesk:core-port', [corePort.port]);
    await new Promise((r) => setTimeout(r, 50));
    expect(conn.status).toBe('waiting');
    expect(conn.session).toBeNull();
  });

  it('a second port replaces the session', async () => {
    const first = new RendererFakeShell();
    const second = new RendererFakeShell({ autoStart: { enabled: true, supported: false } });
    const conn = open();
    const statuses: string[] = [];
    conn.onStatus((s) => statuses.push(s));
    const ended: DesktopRpc[] = [];
    const started: DesktopRpc[] = [];
    conn.onSession((rpc) => {
      started.push(rpc);
      return () => ended.push(rpc);
    });

    const a = serve(first);
    win.post(DESKTOP_PORT, [a.port]);
    await vi.waitFor(() => expect(conn.status).toBe('connected'));
    const b = serve(second);
    win.post(DESKTOP_PORT, [b.port]);
    await vi.waitFor(() => expect(started).toHaveLength(2));

    expect(ended).toEqual([started[0]]);
    expect(started[0]!.closed).toBe(true);
    // The shell sees its old session end (the port closed under it).
    await vi.waitFor(() => expect(a.server.closed).toBe(true));
    expect(conn.session).toBe(started[1]);
    expect(statuses).toEqual(['connected', 'lost', 'connected']);
    expect((await conn.session!.api.getDesktopState()).autoStart).toEqual({ enabled: true, supported: false });
  });

  it('reports the session lost when the shell closes the port, and recovers on the next one', async () => {
    const conn = open();
    let ended = 0;
    conn.onSession(() => () => { ended++; });
    const a = serve(new RendererFakeShell());
    win.post(DESKTOP_PORT, [a.port]);
    await vi.waitFor(() => expect(conn.status).toBe('connected'));

    a.server.close();
    await vi.waitFor(() => expect(conn.status).toBe('lost'));
    expect(ended).toBe(1);
    expect(conn.session).toBeNull();

    win.post(DESKTOP_PORT, [serve(new RendererFakeShell()).port]);
    await vi.waitFor(() => expect(conn.status).toBe('connected'));
  });

  it('close() ends the session and stops listening', async () => {
    const conn = open();
    const a = serve(new RendererFakeShell());
    win.post(DESKTOP_PORT, [a.port]);
    await vi.waitFor(() => expect(conn.status).toBe('connected'));
    conn.close();
    expect(win.listeners.size).toBe(0);
    await vi.waitFor(() => expect(a.server.closed).toBe(true));
  });
});
