import { describe, expect, it } from 'vitest';
import { ConnectionCounter, MemoryPools } from './pools';

function usage(heapUsed: number, external: number, arrayBuffers: number): NodeJS.MemoryUsage {
  return { rss: 0, heapTotal: heapUsed, heapUsed, external, arrayBuffers };
}

describe('MemoryPools', () => {
  it('expresses heap, native and buffer memory in blocks of the document sizes, with peaks and deltas', () => {
    const m = new MemoryPools();
    m.sample(usage(4096 * 10, 65536 * 3 + 131072 * 2, 131072 * 2));
    expect(m.stats()).toEqual({
      small_pool: { buffer_size: 4096, current_size: 10, peak_size: 10, total_allocated: 0, total_returned: 0 },
      medium_pool: { buffer_size: 65536, current_size: 3, peak_size: 3, total_allocated: 0, total_returned: 0 },
      large_pool: { buffer_size: 131072, current_size: 2, peak_size: 2, total_allocated: 0, total_returned: 0 },
    });
    m.sample(usage(4096 * 14 + 1, 65536 * 1 + 131072 * 5, 131072 * 5));
    m.sample(usage(4096 * 12, 65536 * 1 + 131072 * 1, 131072 * 1));
    const s = m.stats();
    expect(s.small_pool).toEqual({ buffer_size: 4096, current_size: 12, peak_size: 15, total_allocated: 5, total_returned: 3 });
    expect(s.medium_pool).toEqual({ buffer_size: 65536, current_size: 1, peak_size: 3, total_allocated: 0, total_returned: 2 });
    expect(s.large_pool).toEqual({ buffer_size: 131072, current_size: 1, peak_size: 5, total_allocated: 3, total_returned: 4 });
  });

  it('samples the real process by default', () => {
    const m = new MemoryPools();
    m.sample();
    expect(m.stats().small_pool.current_size).toBeGreaterThan(0);
  });
});

describe('ConnectionCounter', () => {
  it('adds the engine\'s tunnel pools: their connections are the reused and idle ones, hit rate over both', () => {
    const pools = { created: 10, reused: 6, idle: 4, hits: 6, misses: 2 };
    const c = new ConnectionCounter(() => pools);
    expect(c.stats()).toEqual({
      total_created: 10, total_reused: 6, total_closed: 0, current_active: 0, current_idle: 4,
      cache_hits: 6, cache_misses: 2, hit_rate: 75,
    });
    expect(new ConnectionCounter().stats()).toMatchObject({ total_created: 0, cache_hits: 0, cache_misses: 0, hit_rate: 0 });
  });
});
