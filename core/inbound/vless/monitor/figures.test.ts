import { describe, expect, it } from 'vitest';
import { ALICE, relayUser } from '../../../test/vless-in-harness';
import { MonitorFigures } from './figures';
import { ConnectionCounter, MemoryPools } from './pools';

/** A stats sink without the collector's extras: figures fall back to zero speeds and totals. */

describe('MonitorFigures', () => {
  it('keeps the speed history of the last historySeconds with timestamps in seconds since start', () => {
    const clock = { t: 1_000_000 };
    const users = [relayUser('alice', ALICE, { maxConnections: 3 }), relayUser('bob', '7f3c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f')];
    const f = new MonitorFigures({
      instanceId: 'r1', accounting: null, users: () => [], specUsers: () => users,
      connections: new ConnectionCounter(), memory: new MemoryPools(),
    }, clock.t, 60, () => clock.t);
    for (let i = 0; i < 70; i++) {
      const d = f.snapshot();
      expect(d.uptime).toBe(i < 60 ? `${i}s` : `1m ${i - 60}s`);
      clock.t += 1000;
    }
    const h = f.speedHistory();
    expect(h.duration_seconds).toBe(60);
    expect(h.history.map((p) => p.timestamp)).toEqual(Array.from({ length: 60 }, (_, i) => String(i + 10)));
    expect(h.history[0]).toEqual({ timestamp: '10', upload_speed: '0.00 B/s', download_speed: '0.00 B/s' });
    expect(f.maxConnections()).toBe(0);
  });
});
