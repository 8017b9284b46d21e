import type { Socket } from 'node:net';
import type { ConnMeta, Outbound } from '../adapter';

/** A dial in progress, started by CancellableDialer.dialTcpCancellable. */
export interface PendingTcpDial {
  /** Settles like Outbound.dialTcp's promise. */
  readonly promise: Promise<Socket>;
  /** Rejects the dial if it is still in progress, like an aborted signal would; a no-op once settled. */
  cancel(reason?: unknown): void;
}

/**
 * An optional capability of an Outbound, outside the core/adapter contract: a dial that can be
 * cancelled without an AbortSignal. Node's AbortSignal is costly on a per-connection path (a
 * prototype swap per signal, listener bookkeeping on a slow EventTarget, a hash map per signal),
 * so inbounds that only need "stop dialing when the client goes away" use this when the chosen
 * outbound offers it and dialTcp(meta, signal) otherwise.
 */
export interface CancellableDialer {
  dialTcpCancellable(meta: ConnMeta): PendingTcpDial;
}

/** The outbound as a CancellableDialer, or null when it does not offer the capability. */
export function cancellableDialer(outbound: Outbound): CancellableDialer | null {
  const o = outbound as Outbound & Partial<CancellableDialer>;
  return typeof o.dialTcpCancellable === 'function' ? (o as CancellableDialer) : null;
}
