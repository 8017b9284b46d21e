import type { LogEntry, LogLevel } from '../rpc';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether `a` lets through more than `b`. */
export function moreVerbose(a: LogLevel, b: LogLevel): boolean {
  return RANK[a] < RANK[b];
}

/**
 * The engine's logEcho for `serve`: one line per entry at or above `level`,
 * `2025-01-02T03:04:05.678Z INFO  [engine] message`.
 */
export function stderrLog(level: LogLevel, write: (text: string) => void): (e: LogEntry) => void {
  const min = RANK[level];
  return (e) => {
    if (RANK[e.level] < min) return;
    write(`${new Date(e.time).toISOString()} ${e.level.toUpperCase().padEnd(5)} [${e.source}] ${e.message}\n`);
  };
}
