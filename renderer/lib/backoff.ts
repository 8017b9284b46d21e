/** Reconnect delays: exponential with jitter. */
export interface BackoffOptions {
  /** First delay. @default 500 */
  baseMs?: number;
  /** Upper bound before jitter. @default 10000 */
  maxMs?: number;
  /** Fraction of the delay randomised either way. @default 0.2 */
  jitter?: number;
}

/**
 * The delay before reconnect attempt `attempt` (0-based): base·2^attempt capped at max, then
 * ±jitter. `random` returns [0, 1) and is injectable for tests.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { baseMs = 500, maxMs = 10_000, jitter = 0.2 } = options;
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(raw * (1 - jitter + 2 * jitter * random()));
}
