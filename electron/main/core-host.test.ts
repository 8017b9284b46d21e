import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeChild, FakeProcesses, InProcessCoreChild, NodeChannels, standInEngine } from '../../core/test/electron-fakes';
import type { MessagePortLike } from './api-types';
import { CoreClient } from './core-client';
import { CoreHost, type CoreHostOptions } from './core-host';

const channels = new NodeChannels();
const hosts: CoreHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) {
    const closing = h.close();
    // A hung child is killed after the shutdown timeout.
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(10_000);
    await closing;
  }
  vi.useRealTimers();
  channels.closeAll();
});

function host(processes: FakeProcesses, over: Partial<CoreHostOptions> = {}): CoreHost {
  const h = new CoreHost({ processes, channels, modulePath: '/app/dist/core-main.js', dataDir: '/data', ...over });
  hosts.push(h);
  return h;
}

/** Lets the fakes' promise-scheduled events (spawn, exit, replies) run. */
const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve(); };

describe('CoreHost: process lifecycle', () => {
  beforeEach(() => { vi.useFakeTimers(); });

  it('forks the entry and sends init once spawned; messages before spawn are queued', async () => {
    const p = new FakeProcesses();
    const h = host(p);
    h.start();
    expect(p.children).toHaveLength(1);
    expect(p.last.modulePath).toBe('/app/dist/core-main.js');
    expect(p.last.options.serviceName).toBe('RelayDesk Engine');
    expect(p.last.sent).toEqual([]);
    await flush();
    expect(p.last.sent.map((s) => s.message)).toEqual([{ type: 'init', dataDir: '/data' }]);
    expect(h.status.state).toBe('starting');
    p.last.reply({ type: 'ready' });
    await flush();
    expect(h.status.state).toBe('running');
  });

  it('pings every 5 s; a child that answers is left alone', async () => {
    const p = new FakeProcesses();
    host(p).start();
    await flush();
    for (let i = 0; i < 6; i++) { await vi.advanceTimersByTimeAsync(5000); await flush(); }
    expect(p.last.messages('ping').map((m) => m.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(p.children).toHaveLength(1);
    expect(p.last.killed).toBe(false);
  });

  it('kills a child that misses 3 pings in a row, then restarts it after 1 s', async () => {
    const p = new FakeProcesses();
    const h = host(p);
    h.start();
    await flush();
    p.last.responsive = false;
    const hung = p.last;
    await vi.advanceTimersByTimeAsync(19_999);
    expect(hung.killed).toBe(false);
    expect(hung.messages('ping')).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(hung.killed).toBe(true);
    expect(h.status).toMatchObject({ state: 'waiting', restarts: 1, nextRestartMs: 1000, lastError: 'engine stopped answering health pings' });
    await vi.advanceTimersByTimeAsync(999);
    expect(p.children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.children).toHaveLength(2);
    // The late 'exit' of the killed child does not schedule another restart.
    await flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(p.children).toHaveLength(2);
  });

  it('a pong resets the missed count', async () => {
    const p = new FakeProcesses();
    host(p).start();
    await flush();
    p.last.responsive = false;
    await vi.advanceTimersByTimeAsync(15_000); // 3 pings sent, 2 missed
    p.last.reply({ type: 'pong', n: 3 });
    await flush();
    await vi.advanceTimersByTimeAsync(15_000); // ping 4 at 20 s, then missed 1, 2
    expect(p.last.killed).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(p.last.killed).toBe(true);
  });

  it('restarts crashes with backoff 1, 2, 4, 8, 16, 30, 30 s, reset after a stable minute', async () => {
    const p = new FakeProcesses();
    const h = host(p);
    h.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      await flush();
      p.last.exit(1);
      await flush();
      const before = p.children.length;
      const t0 = Date.now();
      while (p.children.length === before) await vi.advanceTimersByTimeAsync(500);
      delays.push(Date.now() - t0);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(h.status.restarts).toBe(7);
    expect(h.status.lastError).toBe('engine exited with code 1');
    await vi.advanceTimersByTimeAsync(60_000);
    p.last.exit(1);
    await flush();
    expect(h.status.nextRestartMs).toBe(1000);
  });

  it('keeps the engine\'s fatal report as the reason', async () => {
    const p = new FakeProcesses();
    const h = host(p);
    h.start();
    await flush();
    p.last.reply({ type: 'fatal', code: 'E_STORE_LOCKED', message: 'data dir in use' });
    await flush();
    p.last.exit(1);
    await flush();
    expect(h.status).toMatchObject({ state: 'waiting', lastError: 'E_STORE_LOCKED: data dir in use' });
  });

  it('close() asks for shutdown and waits for the exit; no restart follows', async () => {
    const p = new FakeProcesses();
    const h = host(p);
    h.start();
    await flush();
    await h.close();
    expect(p.last.messages('shutdown')).toHaveLength(1);
    expect(p.last.killed).toBe(false);
    expect(h.status.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(p.children).toHaveLength(1);
  });

  it('close() kills a child that does not exit within the timeout', async () => {
    const p = new FakeProcesses();
    const h = host(p, { shutdownTimeoutMs: 3000 });
    h.start();
    await flush();
    p.last.responsive = false;
    const closing = h.close();
    await vi.advanceTimersByTimeAsync(2999);
    expect(p.last.killed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(p.last.killed).toBe(true);
  });

  it('close() during a backoff wait cancels the restart', async () => {
    const p = new FakeProcesses();
    const h = host(p);
    h.start();
    await flush();
    p.last.exit(1);
    await flush();
    await h.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(p.children).toHaveLength(1);
  });
});

describe('CoreHost: port brokering', () => {
  beforeEach(() => { vi.useFakeTimers(); });

  it('each consumer gets its own pair: port1 to the core, port2 to the consumer; re-handed after a restart', async () => {
    const p = new FakeProcesses();
    const h = host(p);
    const got: Record<string, MessagePortLike[]> = { a: [], b: [], idle: [] };
    const a = h.attach((port) => got.a.push(port));
    const b = h.attach((port) => got.b.push(port));
    h.attach((port) => got.idle.push(port)); // never issued: a window whose page has not loaded
    a.issue(); // before start: handed once the core exists
    expect(got.a).toHaveLength(0);
    h.start();
    b.issue();
    await flush();
    const first = p.last;
    const toCore = first.sent.filter((s) => s.message.type === 'port');
    expect(toCore).toHaveLength(2);
    expect(toCore.every((s) => s.transfer.length === 1)).toBe(true);
    expect(got.a).toHaveLength(1);
    expect(got.b).toHaveLength(1);
    expect(got.idle).toHaveLength(0);
    // The pairs are distinct and entangled: port1 (core side) ↔ port2 (consumer side).
    const pairs = channels.ports;
    expect(new Set([...toCore.map((s) => s.transfer[0]), got.a[0], got.b[0]]).size).toBe(4);
    expect(pairs.indexOf(toCore[0].transfer[0] as never) + 1).toBe(pairs.indexOf(got.a[0] as never));

    // A page reload asks again: one more pair for that consumer only.
    b.issue();
    expect(got.b).toHaveLength(2);
    expect(got.a).toHaveLength(1);

    first.exit(1);
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    expect(p.children).toHaveLength(2);
    expect(p.last.messages('port')).toHaveLength(2);
    expect(got.a).toHaveLength(2);
    expect(got.b).toHaveLength(3);

    b.dispose();
    p.last.exit(1);
    await flush();
    await vi.advanceTimersByTimeAsync(2000);
    await flush();
    expect(p.children).toHaveLength(3);
    expect(got.a).toHaveLength(3);
    expect(got.b).toHaveLength(3);
  });
});

describe('CoreHost with the real core/main.ts entry (in-process child, real MessagePorts)', () => {
  it('main\'s own client sees the engine, switches route mode, and reconnects after a crash', async () => {
    const locks = new Set<string>();
    const children: InProcessCoreChild[] = [];
    const p = new FakeProcesses((m, o) => {
      const c = new InProcessCoreChild(m, o, standInEngine(locks));
      children.push(c);
      return c;
    });
    const h = host(p, { initialBackoffMs: 10 });
    const client = new CoreClient(h, { timeoutMs: 2000 });
    h.start();
    client.start();
    await expect.poll(() => client.view.connected).toBe(true);
    expect(client.view).toEqual({ connected: true, routeMode: 'rule', localProxy: { host: '127.0.0.1', port: 7890 } });

    await client.setRouteMode('global');
    expect(client.view.routeMode).toBe('global');

    // The core dies: the client's port closes; a new child starts and a new port arrives.
    // (The stand-in's in-memory settings start over, as a fresh engine process would re-read them.)
    locks.clear();
    children[0].crash();
    await expect.poll(() => p.children.length).toBe(2);
    await expect.poll(() => client.view.connected).toBe(true);
    expect(client.view.routeMode).toBe('rule');
    expect(p.children[1].messages('port')).toHaveLength(1);
    client.close();
    expect(h.status.restarts).toBe(1);
  });
});

describe('FakeChild', () => {
  it('is what the tests above rely on: pongs only when responsive', async () => {
    const c = new FakeChild('/x', { serviceName: 's' });
    const got: unknown[] = [];
    c.on('message', (m) => got.push(m));
    c.postMessage({ type: 'ping', n: 1 });
    c.responsive = false;
    c.postMessage({ type: 'ping', n: 2 });
    await flush();
    expect(got).toEqual([{ type: 'pong', n: 1 }]);
  });
});
