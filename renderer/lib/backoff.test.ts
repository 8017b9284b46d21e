import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const mid = (): number => 0.5;

  it('doubles from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, {}, mid))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('applies jitter within bounds', () => {
    expect(backoffDelay(1, { jitter: 0.2 }, () => 0)).toBe(800);
    expect(backoffDelay(1, { jitter: 0.2 }, () => 0.999_999)).toBe(1200);
  });

  it('survives huge attempt counts', () => {
    expect(backoffDelay(10_000, { jitter: 0 })).toBe(10_000);
  });
});
