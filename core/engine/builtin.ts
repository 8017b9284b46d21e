import type { InstanceContext, InstanceRunner, Outbound } from '../adapter';
import { createMixedInbound } from '../inbound/mixed';
import { createBlockOutbound } from '../outbound/block';
import { createDirectOutbound } from '../outbound/direct';
import type { Logger } from '../log/logger';
import { CoreError, type InstanceSpec } from '../rpc';

/**
 * The only file that imports every protocol: instance types → runner factories, and the
 * builtin outbounds. A new protocol adds a line here and a member to InstanceSpec.
 */
export function createRunner(spec: InstanceSpec, ctx: InstanceContext): InstanceRunner {
  switch (spec.type) {
    case 'mixed':
      return createMixedInbound(spec, ctx);
    default:
      throw new CoreError('E_CONFIG_INVALID', `unknown instance type "${(spec as { type: string }).type}"`);
  }
}

/** The outbounds every engine has, by tag. */
export function builtinOutbounds(log: Logger): Map<string, Outbound> {
  return new Map<string, Outbound>([
    ['direct', createDirectOutbound({ log })],
    ['block', createBlockOutbound()],
  ]);
}
