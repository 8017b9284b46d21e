import type { ConnMeta } from './conn';

/**
 * One tracked connection. `route/relay.ts` creates it and is the only code that reports its
 * bytes: the collector calls `sample()` once a tick instead of being told per chunk.
 */
export interface TrackedConn {
  readonly meta: ConnMeta;
  readonly rule: string;
  readonly outbound: string;
  readonly startedAt: number;
  /** Cumulative [up, down] bytes so far (client → destination, destination → client). */
  sample(): [up: number, down: number];
  /** Close both sides now (closeConnection, instance stop, idle timeout). */
  close(reason: string): void;
}

/** The stats collector as the relay sees it. */
export interface StatsSink {
  /** A connection starts moving bytes. */
  opened(conn: TrackedConn): void;
  /** It ended; `sample()` still answers with the final figures. */
  closed(conn: TrackedConn): void;
  /** A handshake was rejected (garbage, truncated, stalled, bad auth), by class. */
  badHandshake(instanceId: string, kind: string): void;
}
