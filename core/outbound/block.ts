import type { Outbound } from '../adapter';
import { CoreError } from '../rpc';

/** The "block" outbound: every dial and UDP conversation is refused with E_ROUTE_BLOCKED. */
export function createBlockOutbound(): Outbound {
  return {
    tag: 'block',
    type: 'block',
    dialTcp: async () => {
      throw new CoreError('E_ROUTE_BLOCKED', 'blocked by rule');
    },
    openUdp: async () => {
      throw new CoreError('E_ROUTE_BLOCKED', 'blocked by rule');
    },
  };
}
