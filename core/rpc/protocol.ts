import type { WireError } from './errors';

/** Bumped on any incompatible change to RpcMessage or to CoreApi/CoreEvents semantics. */
export const PROTOCOL_VERSION = 1;

/** Messages of the RPC protocol. Both sides send `hello` first. */
export type RpcMessage =
  | { t: 'hello'; v: number }
  | { t: 'req'; id: number; m: string; a?: unknown }
  | { t: 'res'; id: number; r?: unknown }
  | { t: 'err'; id: number; e: WireError }
  | { t: 'sub'; n: string[] }
  | { t: 'ev'; n: string; d: unknown };

export function isRpcMessage(value: unknown): value is RpcMessage {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { t?: unknown }).t;
  return t === 'hello' || t === 'req' || t === 'res' || t === 'err' || t === 'sub' || t === 'ev';
}
