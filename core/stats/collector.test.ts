import { afterEach, describe, expect, it } from 'vitest';
import { LogBus } from '../log/logger';
import type { StatsTick } from '../rpc';
import { Store } from '../store/store';
import { FakeConn } from '../test/stats-fake-conn';
import { tempDirs } from '../test/store-temp';
import { MINUTE_MS } from './rollup';
import { StatsCollector } from './collector';

const T = Date.UTC(2025, 0, 1) + 10 * MINUTE_MS + 123;
const dirs = tempDirs('relaydesk-stats-');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  dirs.cleanup();
});

interface Rig {
  stats: StatsCollector;
  store: Store;
  logs: LogBus;
  clock: { t: number };
  conn(instanceId: string, outbound?: string): FakeConn;
  /** Advances the clock by `ms` and ticks. */
  step(ms?: number): StatsTick;
  /** Closes the collector and the store, keeping the dir. */
  close(): void;
}

function rig(opts: { dir?: string; t?: number; instances?: string[] } = {}): Rig {
  const dir = opts.dir ?? dirs.make();
  const store = Store.open(dir);
  for (const id of opts.instances ?? []) {
    if (!store.instances.get(id)) store.instances.insert({ id, name: id, type: 'mixed', spec: {}, autoStart: false, createdAt: 0, updatedAt: 0 });
  }
  const logs = new LogBus({ level: 'debug' });
  const clock = { t: opts.t ?? T };
  const stats = new StatsCollector({ store, log: logs.logger('stats'), now: () => clock.t });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    stats.close();
    store.close();
  };
  cleanups.push(close);
  return {
    stats, store, logs, clock, close,
    conn: (instanceId, outbound) => new FakeConn(stats, { instanceId, outbound, startedAt: clock.t }).open(),
    step(ms = 1000) {
      clock.t += ms;
      return stats.tick();
    },
  };
}

const sumHistory = (stats: StatsCollector, scope: string) =>
  stats.history('1h', scope).points.reduce((acc, p) => [acc[0] + p[1], acc[1] + p[2]], [0, 0]);

describe('StatsCollector', () => {
  it('turns samples into speeds per connection, instance, outbound and in total', () => {
    const r = rig();
    const a = r.conn('a', 'direct');
    const b = r.conn('b', 'proxy');
    const c = r.conn('a', 'proxy');
    a.move(1000, 5000);
    b.move(200, 0);
    c.move(0, 300);
    let tick = r.step(1000);
    expect(tick).toMatchObject({ time: T + 1000, up: 1200, down: 5300, totalUp: 1200, totalDown: 5300, connections: 3, badHandshakes: 0 });
    expect(tick.instances.a).toEqual({ up: 1000, down: 5300, totalUp: 1000, totalDown: 5300, connections: 2 });
    expect(tick.instances.b).toEqual({ up: 200, down: 0, totalUp: 200, totalDown: 0, connections: 1 });
    expect(tick.outbounds.direct).toEqual({ up: 1000, down: 5000, totalUp: 1000, totalDown: 5000, connections: 1 });
    expect(tick.outbounds.proxy).toEqual({ up: 200, down: 300, totalUp: 200, totalDown: 300, connections: 2 });

    // Half a second later: speeds are per second, totals cumulative.
    a.move(100, 0);
    tick = r.step(500);
    expect(tick).toMatchObject({ up: 200, down: 0, totalUp: 1300, totalDown: 5300 });
    expect(tick.instances.b).toMatchObject({ up: 0, down: 0, totalUp: 200 });
    expect(r.stats.latest()).toBe(tick);
    const list = r.stats.connections('a');
    expect(list.map((x) => x.id)).toEqual([a.meta.id, c.meta.id]);
    expect(list[0]).toEqual({
      id: a.meta.id, instanceId: 'a', network: 'tcp', inbound: 'socks5', source: `127.0.0.1:${a.meta.source.port}`,
      destination: 'example.com:443', user: null, rule: 'final', outbound: 'direct',
      upload: 1100, download: 5000, uploadSpeed: 200, downloadSpeed: 0, startedAt: T,
    });
    expect(r.stats.connections()).toHaveLength(3);
  });

  it('counts bytes of connections that closed between ticks, and keeps their instance in the tick', () => {
    const r = rig();
    const long = r.conn('a').move(100, 100);
    r.step();
    long.move(50, 60).close('done'); // the tail after the last sample
    r.conn('b', 'proxy').move(7, 8).close('done'); // opened and closed within one tick
    new FakeConn(r.stats, { instanceId: 'c' }).move(1, 1).close('never opened');
    const tick = r.step();
    expect(tick).toMatchObject({ up: 58, down: 69, totalUp: 158, totalDown: 169, connections: 0 });
    expect(tick.instances.a).toEqual({ up: 50, down: 60, totalUp: 150, totalDown: 160, connections: 0 });
    expect(tick.instances.b).toEqual({ up: 7, down: 8, totalUp: 7, totalDown: 8, connections: 0 });
    expect(tick.instances.c).toMatchObject({ totalUp: 1, connections: 0 });
    expect(tick.outbounds.proxy).toMatchObject({ totalUp: 7, totalDown: 8, connections: 0 });
    expect(r.stats.connections()).toEqual([]);
    expect(sumHistory(r.stats, 'total')).toEqual([158, 169]);
    expect(sumHistory(r.stats, 'instance:b')).toEqual([7, 8]);
    // A quiet tick: still listed, speeds back to zero.
    expect(r.step().instances.b).toEqual({ up: 0, down: 0, totalUp: 7, totalDown: 8, connections: 0 });
  });

  it('keeps counters and history across a collector and store restart', () => {
    const dir = dirs.make();
    const first = rig({ dir, instances: ['a'] });
    const conn = first.conn('a', 'direct').move(1000, 2000);
    first.step();
    conn.move(1, 2); // only the final flush on close sees these
    first.close();

    const second = rig({ dir, t: first.clock.t + 5000 });
    const tick = second.stats.latest();
    expect(tick).toMatchObject({ totalUp: 1001, totalDown: 2002, up: 0, connections: 0 });
    expect(tick.instances.a).toMatchObject({ totalUp: 1001, totalDown: 2002 });
    expect(tick.outbounds.direct).toMatchObject({ totalUp: 1001, totalDown: 2002 });
    expect(sumHistory(second.stats, 'total')).toEqual([1001, 2002]);
    expect(sumHistory(second.stats, 'instance:a')).toEqual([1001, 2002]);
    second.conn('a').move(9, 9);
    expect(second.step()).toMatchObject({ totalUp: 1010, totalDown: 2011 });
  });

  it('does not show saved counters of instances that no longer exist', () => {
    const dir = dirs.make();
    const first = rig({ dir, instances: ['kept', 'gone'] });
    first.conn('kept').move(1, 1);
    first.conn('gone').move(2, 2);
    first.close();
    const store = Store.open(dir);
    store.instances.delete('gone');
    store.close();
    const tick = rig({ dir }).stats.latest();
    expect(Object.keys(tick.instances)).toEqual(['kept']);
    expect(tick.totalUp).toBe(3);
  });

  it('forgets a deleted outbound profile: gone from the tick, and not back after a restart', () => {
    const dir = dirs.make();
    const first = rig({ dir, instances: ['a'] });
    first.conn('a', 'hk').move(5, 5).close('done');
    first.conn('a', 'direct').move(1, 1).close('done');
    first.step();
    expect(Object.keys(first.step().outbounds).sort()).toEqual(['direct', 'hk']);
    first.stats.forgetOutbound('hk');
    expect(Object.keys(first.step().outbounds)).toEqual(['direct']);
    first.close();
    const tick = rig({ dir }).stats.latest();
    expect(Object.keys(tick.outbounds)).toEqual(['direct']);
    expect(tick.totalUp).toBe(6);
  });

  it('closes connections through the connection itself', () => {
    const r = rig();
    const a1 = r.conn('a');
    const a2 = r.conn('a');
    const b = r.conn('b');
    expect(r.stats.closeConnection('nope')).toBe(false);
    expect(r.stats.closeConnection(b.meta.id)).toBe(true);
    expect(b.closeReason).toBe('closed by user');
    expect(r.stats.closeConnection(b.meta.id)).toBe(false);
    expect(r.stats.closeAll('a')).toBe(2);
    expect([a1.closeReason, a2.closeReason]).toEqual(['instance a connections closed', 'instance a connections closed']);
    expect(r.stats.closeAll()).toBe(0);
    expect(r.step().connections).toBe(0);
  });

  it('resets counters (memory and store) without touching history', () => {
    const r = rig();
    r.conn('a').move(10, 20);
    r.step();
    r.stats.resetCounters();
    expect(r.stats.latest()).toMatchObject({ totalUp: 0, totalDown: 0 });
    expect(r.stats.latest().instances.a).toMatchObject({ totalUp: 0, totalDown: 0 });
    expect(r.store.counters.load().size).toBe(0);
    expect(sumHistory(r.stats, 'total')).toEqual([10, 20]);
    expect(r.step()).toMatchObject({ totalUp: 0, totalDown: 0 });
  });

  it('counts rejected handshakes in total and by kind', () => {
    const r = rig();
    r.stats.badHandshake('a', 'garbage');
    r.stats.badHandshake('b', 'garbage');
    r.stats.badHandshake('a', 'stalled');
    expect(r.step().badHandshakes).toBe(3);
    expect(r.stats.badHandshakeCounts()).toEqual({ garbage: 2, stalled: 1 });
  });

  it('rolls history up once a minute as ticks cross minute boundaries', () => {
    const start = Date.UTC(2025, 0, 1) + 10 * MINUTE_MS + 500;
    const r = rig({ t: start });
    const conn = r.conn('a');
    for (let i = 0; i < 60; i++) {
      conn.move(1, 2);
      r.step();
    }
    // The tick at 11:00.5 rolled minute 10 (which got 59 of the seconds; the 60th is in minute 11).
    const minute = Date.UTC(2025, 0, 1) + 10 * MINUTE_MS;
    expect(r.store.history.query(60, 'instance:a', 0, Infinity)).toEqual([[minute, 59, 118]]);
    expect(r.store.history.query(60, 'total', 0, Infinity)).toEqual([[minute, 59, 118]]);
    const last = r.stats.history('24h', 'total').points.filter((p) => p[1] > 0);
    expect(last).toEqual([[minute, 59, 118], [minute + MINUTE_MS, 1, 2]]);
  });

  it('notifies listeners each tick, isolates failing ones, and stops on close', () => {
    const r = rig();
    const seen: number[] = [];
    const off = r.stats.onTick((t) => seen.push(t.time));
    r.stats.onTick(() => { throw new Error('listener bug'); });
    r.step();
    off();
    r.step();
    expect(seen).toEqual([T + 1000]);
    // The failing listener stays subscribed; each of its failures is logged, no tick is lost.
    expect(r.logs.entries({ limit: 10, level: 'error' }).map((e) => e.message)).toEqual(['stats listener failed: listener bug', 'stats listener failed: listener bug']);
    r.close();
    const after = r.stats.tick();
    expect(after.time).toBe(T + 2000);
  });

  it('keeps ticking in memory when the store fails, and logs it once', () => {
    const r = rig();
    r.conn('a').move(5, 5);
    r.store.close();
    expect(r.step()).toMatchObject({ totalUp: 5 });
    expect(r.step()).toMatchObject({ totalUp: 5 });
    expect(r.logs.entries({ limit: 10, level: 'error' }).map((e) => e.message)).toEqual([expect.stringContaining('cannot save stats')]);
  });

  it('ticks on its own timer with the real clock and stops on close', async () => {
    const store = Store.open(dirs.make());
    const stats = new StatsCollector({ store, log: new LogBus().logger('stats'), intervalMs: 20 });
    cleanups.push(() => { stats.close(); store.close(); });
    const conn = new FakeConn(stats, { instanceId: 'a' }).open().move(3, 4);
    stats.start();
    const tick = await new Promise<StatsTick>((resolve) => stats.onTick(resolve));
    expect(tick).toMatchObject({ totalUp: 3, totalDown: 4 });
    stats.close();
    const samples = conn.samples;
    await new Promise((r) => setTimeout(r, 80));
    expect(conn.samples).toBe(samples);
  });
});
