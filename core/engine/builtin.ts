import type { InstanceContext, InstanceRunner, Outbound } from '../adapter';
import { instanceUrlOrThrow, parseInstanceUrl } from '../codec/nodepass-url';
import { createMixedInbound } from '../inbound/mixed';
import { createVlessInbound } from '../inbound/vless';
import { createBlockOutbound } from '../outbound/block';
import { createDirectOutbound } from '../outbound/direct';
import { createSocksOutbound } from '../outbound/socks';
import { createVlessOutbound } from '../outbound/vless';
import type { Logger } from '../log/logger';
import { createNodePassRunner } from '../tunnel/nodepass';
import { CoreError, type InstanceSpec, type ProfileSpec } from '../rpc';

/**
 * The only file that imports every protocol: instance types → runner factories, the builtin
 * outbounds, and profile specs → outbounds. A new protocol adds a line here and a member to
 * InstanceSpec or ProfileSpec.
 */
export function createRunner(spec: InstanceSpec, ctx: InstanceContext): InstanceRunner {
  switch (spec.type) {
    case 'mixed':
      return createMixedInbound(spec, ctx);
    case 'vless':
      return createVlessInbound(spec, ctx);
    case 'nodepass':
      return createNodePassRunner(instanceUrlOrThrow(spec.url), ctx);
    default:
      throw new CoreError('E_CONFIG_INVALID', `unknown instance type "${(spec as { type: string }).type}"`);
  }
}

/**
 * What the schema cannot check about a spec, as "path: problem" strings (empty when fine), so
 * an invalid instance is refused when it is saved rather than failing at start.
 */
export function specProblems(spec: InstanceSpec): string[] {
  if (spec.type !== 'nodepass') return [];
  const r = parseInstanceUrl(spec.url);
  return r.ok ? [] : [`url: ${r.error}`];
}

/** The outbounds every engine has, by tag. */
export function builtinOutbounds(log: Logger): Map<string, Outbound> {
  return new Map<string, Outbound>([
    ['direct', createDirectOutbound({ log })],
    ['block', createBlockOutbound()],
  ]);
}

/** The outbound of a saved profile; its tag is the profile id. */
export function createProfileOutbound(id: string, spec: ProfileSpec, log: Logger): Outbound {
  switch (spec.type) {
    case 'socks':
      return createSocksOutbound(id, spec, { log });
    case 'vless':
      return createVlessOutbound(id, spec, { log });
    default:
      throw new CoreError('E_CONFIG_INVALID', `unknown profile type "${(spec as { type: string }).type}"`);
  }
}
