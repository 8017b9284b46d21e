import type { InstanceContext } from '../../adapter';
import type { VlessInboundSpec } from '../../rpc';
import { createVlessInbound as createRelay } from './inbound';
import { withMonitor } from './monitor';
import type { VlessRunner } from './runner';

export type { FallbackHandler } from './fallback';
export type { VlessRunner, VlessUserSnapshot } from './runner';

/** The VLESS relay (see inbound.ts) with the VLESS-Rust monitor API as its default fallback. */
export function createVlessInbound(spec: VlessInboundSpec, ctx: InstanceContext): VlessRunner {
  return withMonitor(spec, ctx, (c) => createRelay(spec, c));
}
