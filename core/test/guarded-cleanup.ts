import { afterEach, beforeEach } from 'vitest';
import { leakGuard } from './route-rig';

/**
 * Registers per-test hooks in the calling test file: after each test, the functions pushed on the
 * returned list run in reverse order (awaited), then a leak guard fails the test if sockets,
 * servers or timers it opened are still alive after `graceMs`.
 */
export function guardedCleanup(graceMs = 2000): (() => unknown)[] {
  const list: (() => unknown)[] = [];
  let guard: ReturnType<typeof leakGuard>;
  beforeEach(() => {
    guard = leakGuard(graceMs);
  });
  afterEach(async () => {
    for (const f of list.splice(0).reverse()) await f();
    await guard.check();
  });
  return list;
}
