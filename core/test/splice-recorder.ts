import type * as Splice from '../route/splice';

/** Every spliceRelay call of the test file: the remote it was asked to take and whether it did. */
export const handovers: { remote: unknown; taken: boolean }[] = [];

/**
 * route/splice with the real spliceRelay recorded in `handovers`. Use as
 * `vi.mock('../../route/splice', async (real) => (await import('../../test/splice-recorder')).recordingSplice(await real()))`.
 */
export function recordingSplice(real: typeof Splice): typeof Splice {
  return {
    ...real,
    spliceRelay: (...args: Parameters<typeof real.spliceRelay>) => {
      const handle = real.spliceRelay(...args);
      handovers.push({ remote: args[1], taken: handle !== null });
      return handle;
    },
  };
}
