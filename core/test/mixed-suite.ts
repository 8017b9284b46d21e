import { afterEach, beforeEach } from 'vitest';
import { startMixed, startOrigin, type MixedRig, type Target } from './mixed-harness';
import { leakGuard } from './route-rig';

/** What a mixed-inbound test file gets from mixedSuite(). */
export interface MixedSuite {
  /** A fresh origin server per test. */
  readonly origin: Target;
  /** startMixed, closed after the test. */
  start(...args: Parameters<typeof startMixed>): Promise<MixedRig>;
}

/**
 * Registers the per-test hooks the mixed-inbound suites share: a leak guard, a fresh origin, and
 * whatever `start` opened closed after each test (then the guard checks nothing is left).
 */
export function mixedSuite(): MixedSuite {
  let guard: ReturnType<typeof leakGuard>;
  let rig: MixedRig | undefined;
  let origin: Target | undefined;
  beforeEach(async () => {
    guard = leakGuard();
    rig = undefined;
    origin = await startOrigin();
  });
  afterEach(async () => {
    await rig?.close();
    await origin?.close();
    await guard.check();
  });
  return {
    get origin() { return origin!; },
    async start(...args) {
      rig = await startMixed(...args);
      return rig;
    },
  };
}
