import { afterEach, beforeEach } from 'vitest';
import { startMixed, startOrigin, type MixedRig, type Target } from './mixed-harness';
import { nativeAvailable } from '../route/splice';
import { leakGuard } from './route-rig';

/** What a mixed-inbound test file gets from mixedSuite(). */
export interface MixedSuite {
  /** A fresh origin server per test. */
  readonly origin: Target;
  /** startMixed, closed after the test. */
  start(...args: Parameters<typeof startMixed>): Promise<MixedRig>;
}

/** The mixed inbound's two ways of accepting SOCKS5: the native front (default) and JS only. */
export const MIXED_PATHS = ['native', 'js'] as const;
export type MixedPath = (typeof MIXED_PATHS)[number];

/**
 * Registers the per-test hooks the mixed-inbound suites share: a leak guard, a fresh origin, and
 * whatever `start` opened closed after each test (then the guard checks nothing is left).
 * `path` 'js' sets RELAYDESK_NATIVE=0 for the test (the JS server, JS relay); 'native' checks that
 * inbounds without users did start the native front.
 */
export function mixedSuite(path: MixedPath = 'native'): MixedSuite {
  let guard: ReturnType<typeof leakGuard>;
  let rig: MixedRig | undefined;
  let origin: Target | undefined;
  let savedEnv: string | undefined;
  beforeEach(async () => {
    savedEnv = process.env.RELAYDESK_NATIVE;
    if (path === 'js') process.env.RELAYDESK_NATIVE = '0';
    guard = leakGuard();
    rig = undefined;
    origin = await startOrigin();
  });
  afterEach(async () => {
    await rig?.close();
    await origin?.close();
    await guard.check();
    if (savedEnv === undefined) delete process.env.RELAYDESK_NATIVE;
    else process.env.RELAYDESK_NATIVE = savedEnv;
  });
  return {
    get origin() { return origin!; },
    async start(...args) {
      rig = await startMixed(...args);
      const native = rig.logs.entries({ limit: 50, level: 'info' }).some((e) => e.message.includes('native SOCKS5 front'));
      const wanted = path === 'native' && nativeAvailable() && !(args[0]?.users?.length);
      if (native !== wanted) throw new Error(`mixed inbound started ${native ? 'with' : 'without'} the native front on the ${path} path`);
      return rig;
    },
  };
}
