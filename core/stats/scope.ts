import type { TrackedConn } from '../adapter';
import type { TrafficCounters } from '../rpc';
import type { CounterValue } from '../store/store';

/**
 * Running figures of one scope (the total, an instance, an outbound). Bytes seen since the last
 * tick accumulate in `pendingUp/Down` (live samples and the final samples of closed connections);
 * a tick turns them into speeds and adds them to the cumulative `counter`.
 */
export interface ScopeStats {
  /** Instance id or outbound tag ("" for the total). */
  readonly key: string;
  /** Counter scope in the store: "total", "instance:<id>", "outbound:<tag>". */
  readonly counterScope: string;
  /** History scope, null when the scope has no history (outbounds). */
  readonly historyScope: string | null;
  /** Cumulative bytes; the same object is handed to the store when saved. */
  readonly counter: CounterValue;
  pendingUp: number;
  pendingDown: number;
  upSpeed: number;
  downSpeed: number;
  connections: number;
}

/** One live connection: the last sample and the speed it gave. */
export interface LiveConn {
  readonly conn: TrackedConn;
  readonly instance: ScopeStats;
  readonly outbound: ScopeStats;
  up: number;
  down: number;
  upSpeed: number;
  downSpeed: number;
}

export function newScope(key: string, counterScope: string, historyScope: string | null, counter?: CounterValue): ScopeStats {
  return {
    key, counterScope, historyScope, counter: { up: counter?.up ?? 0, down: counter?.down ?? 0 },
    pendingUp: 0, pendingDown: 0, upSpeed: 0, downSpeed: 0, connections: 0,
  };
}

export function addPending(s: ScopeStats, up: number, down: number): void {
  s.pendingUp += up;
  s.pendingDown += down;
}

/**
 * Closes the tick for one scope: speeds from the pending bytes over `elapsedMs`, pending bytes
 * added to the counter. Returns whether any byte moved.
 */
export function settle(s: ScopeStats, elapsedMs: number): boolean {
  s.upSpeed = Math.round((s.pendingUp * 1000) / elapsedMs);
  s.downSpeed = Math.round((s.pendingDown * 1000) / elapsedMs);
  if (s.pendingUp === 0 && s.pendingDown === 0) return false;
  s.counter.up += s.pendingUp;
  s.counter.down += s.pendingDown;
  return true;
}

export function clearPending(s: ScopeStats): void {
  s.pendingUp = 0;
  s.pendingDown = 0;
}

export function countersOf(s: ScopeStats): TrafficCounters {
  return { up: s.upSpeed, down: s.downSpeed, totalUp: s.counter.up, totalDown: s.counter.down, connections: s.connections };
}

/** A record safe for any key (ids like "__proto__" included). */
export function countersRecord(scopes: Iterable<ScopeStats>): Record<string, TrafficCounters> {
  const out = Object.create(null) as Record<string, TrafficCounters>;
  for (const s of scopes) out[s.key] = countersOf(s);
  return out;
}
