/** One UDP session: closed by the table when idle for too long or when the table closes. */
export interface UdpSession {
  /** Date.now() of the last datagram either way; the owner updates it. */
  lastActive: number;
  close(): void;
}

/** NodePass's UDP session idle timeout. */
export const UDP_SESSION_IDLE_MS = 30_000;

/**
 * UDP sessions by key (the user's `ip:port`) with idle expiry: one unref'd timer that runs only
 * while sessions exist and checks at a quarter of the timeout.
 */
export class UdpSessionTable<S extends UdpSession> {
  private readonly sessions = new Map<string, S>();
  private timer: NodeJS.Timeout | null = null;

  /** @param idleMs @default UDP_SESSION_IDLE_MS */
  constructor(private readonly onRemoved: (key: string, s: S) => void, private readonly idleMs = UDP_SESSION_IDLE_MS) {}

  get size(): number {
    return this.sessions.size;
  }

  get(key: string): S | undefined {
    return this.sessions.get(key);
  }

  add(key: string, s: S): void {
    this.sessions.set(key, s);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(Date.now()), Math.max(25, Math.floor(this.idleMs / 4)));
      this.timer.unref();
    }
  }

  /** Closes and forgets one session (no-op if it is not the one stored under `key`). */
  remove(key: string, s: S): void {
    if (this.sessions.get(key) !== s) return;
    this.sessions.delete(key);
    s.close();
    this.onRemoved(key, s);
    if (this.sessions.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  closeAll(): void {
    for (const [k, s] of [...this.sessions]) this.remove(k, s);
  }

  private sweep(now: number): void {
    for (const [k, s] of [...this.sessions]) if (now - s.lastActive > this.idleMs) this.remove(k, s);
  }
}
