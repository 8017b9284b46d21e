import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPoller } from './poller';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('createPoller', () => {
  it('polls at once and after each answer while watched, once however many watch, and stops with the last', async () => {
    let calls = 0;
    const p = createPoller(async () => { calls++; }, 1000);
    const a = p.watch();
    const b = p.watch();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(2500);
    expect(calls).toBe(3);
    a();
    a();
    expect(p.active).toBe(true);
    b();
    expect(p.active).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(3);
  });

  it('never stacks calls behind a slow answer', async () => {
    let running = 0;
    let most = 0;
    const p = createPoller(async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 3000));
      running--;
    }, 100);
    const stop = p.watch();
    await vi.advanceTimersByTimeAsync(10_000);
    stop();
    expect(most).toBe(1);
  });
});
