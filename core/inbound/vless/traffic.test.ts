import { afterEach, describe, expect, it } from 'vitest';
import { LogBus } from '../../log/logger';
import type { RelayUser } from '../../rpc';
import { StatsCollector } from '../../stats/collector';
import { Store } from '../../store/store';
import { FakeConn } from '../../test/stats-fake-conn';
import { tempDirs } from '../../test/store-temp';
import { relayUser } from '../../test/vless-in-harness';
import { UserTraffic, lastResetBoundary } from './traffic';

const dirs = tempDirs('relaydesk-vless-traffic-');
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const o of opened.splice(0).reverse()) o.close();
  dirs.cleanup();
});

/** A real collector on a temp store with a hand-driven clock, and a UserTraffic on it. */
function setup(users: RelayUser[], opts: { dir?: string; t: number }) {
  const dir = opts.dir ?? dirs.make();
  const store = Store.open(dir);
  const logs = new LogBus({ level: 'debug' });
  const clock = { t: opts.t };
  const collector = new StatsCollector({ store, log: logs.logger('stats'), now: () => clock.t });
  const exceeded: string[] = [];
  const traffic = new UserTraffic({
    instanceId: 'r1', users, host: collector, log: logs.logger('r1'), now: () => clock.t,
    onQuotaExceeded: (u, used) => exceeded.push(`${u.name}:${used}`),
  });
  traffic.start();
  const closeAll = () => {
    traffic.close();
    collector.close();
    store.close();
  };
  opened.push({ close: closeAll });
  const conn = (user: string | null) => {
    const c = new FakeConn(collector, { instanceId: 'r1' });
    c.meta.user = user;
    return c.open();
  };
  const step = (ms = 1000) => {
    clock.t += ms;
    collector.tick();
  };
  return { dir, store, logs, clock, collector, traffic, exceeded, conn, step, close: () => { opened.splice(opened.findIndex((o) => o.close === closeAll), 1); closeAll(); } };
}

const T0 = new Date(2025, 2, 10, 12, 0, 0).getTime();

describe('UserTraffic', () => {
  it('counts the bytes of a user\'s connections at ticks and at close, and nobody else\'s', () => {
    const s = setup([relayUser('alice', '0b5e8a1c-3f0d-4c59-9a8e-2d2f0e6c7a11')], { t: T0 });
    const a = s.conn('alice');
    const anon = s.conn(null);
    const other = s.conn('mallory');
    a.move(100, 1000);
    anon.move(5, 5);
    other.move(7, 7);
    s.step();
    expect(s.traffic.get('alice')!.value).toEqual({ up: 100, down: 1000 });
    a.move(1, 2).close('done');
    expect(s.traffic.get('alice')!.value).toEqual({ up: 101, down: 1002 });
    expect(s.traffic.used('alice')).toBe(1103);
    expect(s.traffic.used('mallory')).toBe(0);
  });

  it('persists the counters with the collector\'s ticks, pending ones included when loaded', () => {
    const s = setup([relayUser('alice', '0b5e8a1c-3f0d-4c59-9a8e-2d2f0e6c7a11')], { t: T0 });
    s.conn('alice').move(10, 20).close('done');
    // Not yet written: a restarted relay in the same engine still sees them.
    expect(s.collector.loadCounters('user:r1:')).toEqual(new Map([['user:r1:alice', { up: 10, down: 20 }]]));
    s.step();
    expect(s.store.counters.load().get('user:r1:alice')).toEqual({ up: 10, down: 20 });
    s.close();
    const again = setup([relayUser('alice', '0b5e8a1c-3f0d-4c59-9a8e-2d2f0e6c7a11')], { dir: s.dir, t: T0 + 5000 });
    expect(again.traffic.get('alice')!.value).toEqual({ up: 10, down: 20 });
  });

  it('reports a used-up quota after each tick', () => {
    const s = setup([relayUser('alice', '0b5e8a1c-3f0d-4c59-9a8e-2d2f0e6c7a11', { quotaBytes: 1000 })], { t: T0 });
    const a = s.conn('alice').move(400, 500);
    s.step();
    expect(s.exceeded).toEqual([]);
    a.move(50, 50);
    s.step();
    expect(s.exceeded).toEqual(['alice:1000']);
  });

  it('resets the counter at the first tick on or after the reset day and persists when', () => {
    const user = relayUser('alice', '0b5e8a1c-3f0d-4c59-9a8e-2d2f0e6c7a11', { resetDay: 15 });
    const s = setup([user], { t: T0 });
    // The counter starts at the first tick; the next reset is on the 15th.
    expect(s.traffic.get('alice')!.lastResetAt).toBe(T0);
    s.conn('alice').move(300, 700).close('done');
    s.step(2 * 86_400_000);
    expect(s.traffic.used('alice')).toBe(1000);
    s.clock.t = new Date(2025, 2, 15, 0, 0, 1).getTime();
    s.collector.tick();
    expect(s.traffic.used('alice')).toBe(0);
    expect(s.traffic.get('alice')!.lastResetAt).toBe(s.clock.t);
    expect(s.logs.entries({ limit: 10, level: 'info' }).map((e) => e.message)).toContain('user "alice" traffic counter reset (monthly on day 15; 1000 bytes used in the period)');
    s.step();
    const resetAt = s.traffic.get('alice')!.lastResetAt;
    s.close();
    const again = setup([user], { dir: s.dir, t: new Date(2025, 3, 2).getTime() });
    expect(again.traffic.get('alice')!.lastResetAt).toBe(resetAt);
    expect(again.traffic.used('alice')).toBe(0);
  });

  it('finds the latest reset boundary in this or the previous month (local time)', () => {
    expect(lastResetBoundary(new Date(2025, 0, 20, 8).getTime(), 15)).toBe(new Date(2025, 0, 15).getTime());
    expect(lastResetBoundary(new Date(2025, 0, 10).getTime(), 15)).toBe(new Date(2024, 11, 15).getTime());
    expect(lastResetBoundary(new Date(2025, 2, 1, 0, 0).getTime(), 1)).toBe(new Date(2025, 2, 1).getTime());
  });

  it('warns and counts nothing without the engine\'s accounting', () => {
    const logs = new LogBus({ level: 'debug' });
    const t = new UserTraffic({ instanceId: 'r1', users: [relayUser('a', '0b5e8a1c-3f0d-4c59-9a8e-2d2f0e6c7a11')], host: null, log: logs.logger('x'), onQuotaExceeded: () => undefined });
    t.start();
    expect(logs.entries({ limit: 5, level: 'warn' }).map((e) => e.message)).toEqual(['per-user traffic is not counted: no stats collector runs here (quotas are not enforced)']);
    expect(t.used('a')).toBe(0);
    t.close();
  });
});
