import type { Socket } from 'node:net';
import type { PoolStats } from './types';

/** The control channel's pool id (the first pool connection on both ends). */
export const CONTROL_ID = '00000000';

interface Waiter {
  resolve(s: Socket | null): void;
  timer: NodeJS.Timeout;
}

/**
 * Ready pool connections of one tunnel end, by their 8-hex-digit id (the server's 4 random bytes).
 * Each connection carries one session and is then gone; `take` waits a bounded time for one to
 * arrive (a miss), since the peer may announce an id before this end has read it.
 */
export class PoolRegistry {
  private readonly idle = new Map<string, Socket>();
  private readonly byId = new Map<string, Waiter[]>();
  private readonly anyWaiters: Waiter[] = [];
  private readonly stats = { created: 0, hits: 0, misses: 0 };
  private closed = false;

  /** @param onChange called when the idle count drops (the client refills) */
  constructor(private readonly onChange: () => void = () => {}) {}

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
      return;
    }
    this.idle.set(id, s);
    s.once('close', () => {
      if (this.idle.get(id) === s) {
        this.idle.delete(id);
        this.onChange();
      }
    });
  }

  /** Takes connection `id` (waiting up to `waitMs` for it), or null. */
  takeId(id: string, waitMs: number): Promise<Socket | null> {
    const s = this.idle.get(id);
    if (s) {
      this.idle.delete(id);
      if (id !== CONTROL_ID) this.stats.hits++;
      this.onChange();
      return Promise.resolve(s);
    }
    if (id !== CONTROL_ID) this.stats.misses++;
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
      this.stats.hits++;
      this.onChange();
      return { id, socket: s };
    }
    this.stats.misses++;
    const s = await this.wait(waitMs, (w) => this.anyWaiters.push(w));
    if (s === null) return null;
    return { id: idOf(s), socket: s };
  }

  /** Closes every idle connection (a `flush`); waiters keep waiting for new ones. */
  flush(): void {
    for (const s of this.idle.values()) s.destroy();
    this.idle.clear();
    this.onChange();
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

function idOf(s: Socket): string {
  return ids.get(s) ?? '';
}
