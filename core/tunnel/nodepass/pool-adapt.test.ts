import { describe, expect, it } from 'vitest';
import { DIAL_RETRY_MAX_MS, DIAL_RETRY_MIN_MS, DialBackoff, PoolCapacity } from './pool-adapt';

describe('PoolCapacity', () => {
  it('starts at min (clamped into 1..max)', () => {
    expect(new PoolCapacity(4, 64).capacity).toBe(4);
    expect(new PoolCapacity(100, 16).capacity).toBe(16);
    expect(new PoolCapacity(0, 0).capacity).toBe(1);
  });

  it('doubles when sessions use the pool up, once per capacity taken, up to max', () => {
    const c = new PoolCapacity(2, 16);
    expect(c.taken(1)).toBe(false);
    expect(c.taken(0)).toBe(true);
    expect(c.capacity).toBe(4);
    // Dry again at once: not a whole capacity taken since the growth yet.
    expect(c.missed()).toBe(false);
    expect(c.capacity).toBe(4);
    for (let i = 0; i < 3; i++) c.missed();
    expect(c.capacity).toBe(8);
    for (let i = 0; i < 100; i++) c.missed();
    expect(c.capacity).toBe(16);
  });

  it('does not grow while ready connections remain', () => {
    const c = new PoolCapacity(2, 16);
    for (let i = 0; i < 50; i++) c.taken(1);
    expect(c.capacity).toBe(2);
  });

  it('halves per period while at least half the pool stays idle, down to min', () => {
    const c = new PoolCapacity(2, 16);
    for (let i = 0; i < 40; i++) c.missed();
    expect(c.capacity).toBe(16);
    expect(c.tick(16)).toBe(16); // the period that ran dry never shrinks
    expect(c.tick(16)).toBe(8);
    expect(c.tick(8)).toBe(4);
    expect(c.tick(4)).toBe(2);
    expect(c.tick(2)).toBe(2);
  });

  it('keeps the capacity while more than half of it is used within a period', () => {
    const c = new PoolCapacity(2, 16);
    for (let i = 0; i < 40; i++) c.missed();
    c.tick(16);
    // 9 of 16 in use at the low point: halving would not fit that demand.
    c.taken(7);
    expect(c.tick(16)).toBe(16);
    c.taken(8);
    expect(c.tick(16)).toBe(8);
  });

  it('does not shrink a pool that is not filled (failed dials), and grows again after shrinking', () => {
    const c = new PoolCapacity(1, 8);
    for (let i = 0; i < 20; i++) c.missed();
    expect(c.capacity).toBe(8);
    c.tick(0);
    expect(c.tick(3)).toBe(8);
    // The low-water mark counts from the start of the period (3 ready then).
    expect(c.tick(8)).toBe(8);
    expect(c.tick(8)).toBe(4);
    for (let i = 0; i < 4; i++) c.missed();
    expect(c.capacity).toBe(8);
  });
});

describe('DialBackoff', () => {
  it('waits 100 ms after a failure, doubling to 1 s, and starts over after a success', () => {
    const b = new DialBackoff();
    const seen = [b.failed(), b.failed(), b.failed(), b.failed(), b.failed(), b.failed()];
    expect(seen).toEqual([DIAL_RETRY_MIN_MS, 200, 400, 800, DIAL_RETRY_MAX_MS, DIAL_RETRY_MAX_MS]);
    b.succeeded();
    expect(b.failed()).toBe(DIAL_RETRY_MIN_MS);
  });
});
