import type { LogEntry, LogLevel } from '../rpc';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A leveled logger bound to one source ("engine", "instance:<id>", ...). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Whether `level` would be recorded: guard costly messages on hot paths with it. */
  enabled(level: LogLevel): boolean;
  child(source: string): Logger;
}

export interface LogBusOptions {
  /** Entries kept for getLogs. @default 2000 */
  capacity?: number;
  /** @default "info" */
  level?: LogLevel;
  /** Also write each entry to this sink (stderr in `serve`). */
  echo?: (entry: LogEntry) => void;
}

/**
 * Collects log entries in a ring buffer and fans them out to listeners (CoreEvents.log).
 * Entries below `level` are dropped before any string work reaches the ring.
 */
export class LogBus {
  private readonly ring: (LogEntry | undefined)[];
  private head = 0;
  private size = 0;
  private seq = 0;
  private minRank: number;
  private readonly listeners = new Set<(e: LogEntry) => void>();

  constructor(private readonly options: LogBusOptions = {}) {
    this.ring = new Array(options.capacity ?? 2000);
    this.minRank = RANK[options.level ?? 'info'];
  }

  setLevel(level: LogLevel): void { this.minRank = RANK[level]; }

  logger(source: string): Logger {
    const write = (level: LogLevel) => (message: string) => this.write(level, source, message);
    return {
      debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'),
      enabled: (level) => RANK[level] >= this.minRank,
      child: (sub) => this.logger(sub),
    };
  }

  write(level: LogLevel, source: string, message: string): void {
    if (RANK[level] < this.minRank) return;
    const entry: LogEntry = { seq: ++this.seq, time: Date.now(), level, source, message };
    this.ring[this.head] = entry;
    this.head = (this.head + 1) % this.ring.length;
    if (this.size < this.ring.length) this.size++;
    this.options.echo?.(entry);
    for (const l of this.listeners) l(entry);
  }

  /** Entries oldest first, filtered. */
  entries(filter: { limit: number; level: LogLevel; source?: string; afterSeq?: number }): LogEntry[] {
    const out: LogEntry[] = [];
    const min = RANK[filter.level];
    for (let i = 0; i < this.size; i++) {
      const e = this.ring[(this.head - this.size + i + this.ring.length) % this.ring.length]!;
      if (RANK[e.level] < min) continue;
      if (filter.source !== undefined && e.source !== filter.source) continue;
      if (filter.afterSeq !== undefined && e.seq <= filter.afterSeq) continue;
      out.push(e);
    }
    return out.length > filter.limit ? out.slice(out.length - filter.limit) : out;
  }

  onEntry(listener: (e: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
