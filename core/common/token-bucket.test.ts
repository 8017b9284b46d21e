import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('lets the burst through, then asks to wait for the debt at the rate', () => {
    const clock = { t: 0 };
    const b = new TokenBucket(1000, { burstBytes: 500, now: () => clock.t });
    expect(b.take(500)).toBe(0);
    expect(b.take(250)).toBe(250);
    expect(b.delay()).toBe(250);
    clock.t = 100;
    expect(b.delay()).toBe(150);
    clock.t = 250;
    expect(b.delay()).toBe(0);
  });

  it('refills up to the burst only', () => {
    const clock = { t: 0 };
    const b = new TokenBucket(1000, { burstBytes: 100, now: () => clock.t });
    clock.t = 60_000;
    expect(b.take(100)).toBe(0);
    expect(b.take(100)).toBe(100);
  });

  it('shared by two consumers keeps their sum at the rate', () => {
    const clock = { t: 0 };
    const b = new TokenBucket(10_000, { burstBytes: 1000, now: () => clock.t });
    // Two streams alternately move 1000-byte chunks, each waiting as told.
    const next = [0, 0];
    let moved = 0;
    while (clock.t < 10_000) {
      const i = next[0]! <= next[1]! ? 0 : 1;
      clock.t = Math.max(clock.t, next[i]!);
      next[i] = clock.t + b.take(1000);
      moved += 1000;
    }
    // 10 s at 10 kB/s, plus the initial burst and the chunk each consumer took last.
    expect(moved).toBeGreaterThanOrEqual(100_000);
    expect(moved).toBeLessThanOrEqual(103_000);
  });

  it('defaults the burst to an eighth of the rate, at least 16 KiB', () => {
    expect(new TokenBucket(1_000_000).burstBytes).toBe(125_000);
    expect(new TokenBucket(1000).burstBytes).toBe(16 * 1024);
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });
});
