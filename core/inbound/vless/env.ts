import type { InstanceContext } from '../../adapter';
import type { VlessInboundSpec } from '../../rpc';
import type { FallbackHandler } from './fallback';
import type { UserLimits } from './limits';
import type { UserTraffic } from './traffic';
import type { UserIndex } from './users';

/** What the parts of one VLESS relay share. */
export interface VlessEnv {
  readonly spec: VlessInboundSpec;
  readonly ctx: InstanceContext;
  readonly users: UserIndex;
  readonly limits: UserLimits;
  readonly traffic: UserTraffic;
  /** Serves HTTP on the plaintext TCP port when spec.fallback is "monitor". */
  fallback: FallbackHandler;
  /** Set once close() began: late dials are dropped. */
  closing: boolean;
}

/** Kinds this inbound reports to StatsSink.badHandshake. */
export type VlessBadHandshake =
  | 'vless-uuid' | 'vless-version' | 'vless-truncated' | 'vless-command' | 'vless-address' | 'timeout' | 'protocol';
