import type { Connection, StatsTick } from '../rpc';
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

/** Cumulative bytes of a counter scope, as the store keeps them. */
export interface CounterValue {
  up: number;
  down: number;
}

/**
 * The engine's stats collector beyond StatsSink, for runners that keep figures of their own
 * (a relay's per-user traffic, its monitor API): absent where no collector runs (unit tests).
 */
export interface StatsAccounting {
  /** Each live connection's new bytes when sampled, its last bytes when it closes; one listener per instance. */
  onInstanceBytes(instanceId: string, fn: (conn: TrackedConn, up: number, down: number, closed: boolean) => void): () => void;
  /** After every tick. */
  onTick(fn: () => void): () => void;
  /** Saved counters by scope prefix (pending saves included). */
  loadCounters(prefix: string): Map<string, CounterValue>;
  /** Saves a counter with the next tick. */
  saveCounter(scope: string, value: CounterValue): void;
  /** The latest tick (speeds and totals per instance). */
  latest(): StatsTick;
  /** Live connections with their last-tick speeds. */
  connections(instanceId?: string): Connection[];
}
