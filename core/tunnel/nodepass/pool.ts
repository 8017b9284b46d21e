import type { Socket } from 'node:net';
import type { PoolStats } from './types';

/** The control channel's pool id (the first pool connection on both ends). */
export const CONTROL_ID = '00000000';

/** What a PoolRegistry reports to its owner (the client refills and adapts its capacity). */
export interface PoolEvents {
  /** A data connection left the pool for a session; `idle` = ready ones left. */
  taken?(idle: number): void;
  /** A session asked for a data connection and none was ready (it waits), by id or any. */
  missed?(): void;
  /** Ready connections closed without serving (peer closed, flush, trim), or the control channel was taken. */
  dropped?(): void;
}

interface Waiter {
  resolve(s: Socket | null): void;
  timer: NodeJS.Timeout;
}

/**
 * Ready pool connections of one tunnel end, by their 8-hex-digit id (the server's 4 random bytes).
 * Each connection carries one session and is then gone; `take` waits a bounded time for one to
 * arrive (a miss), since the peer may announce an id before this end has read it. While a
 * connection is idle the registry reads it: bytes the peer sent ahead of the take are put back for
 * the taker, and an end-of-stream (the peer closed or trimmed it) closes it here and forgets it.
 */
export class PoolRegistry {
  private readonly idle = new Map<string, Socket>();
  private readonly byId = new Map<string, Waiter[]>();
  private readonly anyWaiters: Waiter[] = [];
  private readonly stats = { created: 0, hits: 0, misses: 0 };
  private closed = false;

  constructor(private readonly events: PoolEvents = {}) {}

  get size(): number {
    return this.idle.size;
  }

  /** Adds a connection that has its id; it leaves the pool (and is forgotten) when it closes. */
  add(id: string, s: Socket): void {
    if (this.closed) {
      s.destroy();
      return;
    }
    this.stats.created++;
    ids.set(s, id);
    const w = this.byId.get(id)?.shift() ?? (id === CONTROL_ID ? undefined : this.anyWaiters.shift());
    if (w) {
      clearTimeout(w.timer);
      w.resolve(s);
      this.tookOne(id);
      return;
    }
    this.idle.set(id, s);
    const onClose = () => {
      if (this.idle.get(id) !== s) return;
      this.idle.delete(id);
      unwatch(s);
      this.events.dropped?.();
    };
    const onEnd = () => {
      if (this.idle.get(id) === s) s.destroy();
    };
    // Reading now means the peer's early bytes sit in our buffer (put back below) and its FIN shows.
    const onData = (chunk: Buffer) => {
      stopReading(s);
      s.unshift(chunk);
    };
    watchers.set(s, { onData, onEnd, onClose });
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('close', onClose);
    s.resume();
  }

  /** Closes up to `n` ready data connections, oldest first; returns how many it closed. */
  trim(n: number): number {
    let done = 0;
    for (const [id, s] of this.idle) {
      if (done >= n) break;
      if (id === CONTROL_ID) continue;
      this.idle.delete(id);
      unwatch(s);
      s.destroy();
      done++;
    }
    return done;
  }

  /** Takes connection `id` (waiting up to `waitMs` for it), or null. */
  takeId(id: string, waitMs: number): Promise<Socket | null> {
    const s = this.idle.get(id);
    if (s) {
      this.idle.delete(id);
      unwatch(s);
      if (id !== CONTROL_ID) this.stats.hits++;
      this.tookOne(id);
      return Promise.resolve(s);
    }
    if (id !== CONTROL_ID) {
      this.stats.misses++;
      // The peer used a connection this end has not even registered yet: its pool ran dry.
      this.events.missed?.();
    }
    return this.wait(waitMs, (w) => {
      const list = this.byId.get(id) ?? [];
      list.push(w);
      this.byId.set(id, list);
    });
  }

  /** Takes any ready data connection with its id (waiting up to `waitMs`), or null. */
  async takeAny(waitMs: number): Promise<{ id: string; socket: Socket } | null> {
    for (const [id, s] of this.idle) {
      if (id === CONTROL_ID) continue;
      this.idle.delete(id);
      unwatch(s);
      this.stats.hits++;
      this.tookOne(id);
      return { id, socket: s };
    }
    this.stats.misses++;
    this.events.missed?.();
    const s = await this.wait(waitMs, (w) => this.anyWaiters.push(w));
    if (s === null) return null;
    return { id: idOf(s), socket: s };
  }

  /** Closes every idle connection (a `flush`); waiters keep waiting for new ones. */
  flush(): void {
    const all = [...this.idle.values()];
    this.idle.clear();
    for (const s of all) {
      unwatch(s);
      s.destroy();
    }
    this.events.dropped?.();
  }

  poolStats(): PoolStats {
    const { created, hits, misses } = this.stats;
    return { created, reused: hits, idle: this.idle.size, hits, misses };
  }

  close(): void {
    this.closed = true;
    this.flush();
    for (const w of [...this.anyWaiters, ...[...this.byId.values()].flat()]) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
    this.anyWaiters.length = 0;
    this.byId.clear();
  }

  private tookOne(id: string): void {
    if (id === CONTROL_ID) this.events.dropped?.();
    else this.events.taken?.(this.idle.size);
  }

  private wait(waitMs: number, register: (w: Waiter) => void): Promise<Socket | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.anyWaiters.indexOf(w);
          if (i >= 0) this.anyWaiters.splice(i, 1);
          for (const list of this.byId.values()) {
            const j = list.indexOf(w);
            if (j >= 0) list.splice(j, 1);
          }
          resolve(null);
        }, waitMs),
      };
      register(w);
    });
  }
}

const ids = new WeakMap<Socket, string>();
const watchers = new WeakMap<Socket, { onData(chunk: Buffer): void; onEnd(): void; onClose(): void }>();

/** Stops reading a connection that leaves the idle set and leaves it paused for its taker (which resumes it). */
function unwatch(s: Socket): void {
  const w = watchers.get(s);
  if (!w) return;
  stopReading(s);
  watchers.delete(s);
  s.off('close', w.onClose);
}

/** Stops the idle read (the connection stays in the pool and is still forgotten when it closes). */
function stopReading(s: Socket): void {
  const w = watchers.get(s);
  if (!w) return;
  s.off('data', w.onData);
  s.off('end', w.onEnd);
  s.pause();
}

function idOf(s: Socket): string {
  return ids.get(s) ?? '';
}
