import type { StatsSink, TrackedConn } from '../adapter';

/**
 * A StatsSink for relay tests: records every call in order, so tests can assert that each
 * connection was opened and closed exactly once and read its final sample.
 */
export class StatsRecorder implements StatsSink {
  readonly openedConns: TrackedConn[] = [];
  readonly closedConns: TrackedConn[] = [];
  readonly badHandshakes: { instanceId: string; kind: string }[] = [];
  /** Every call as "opened:<id>" / "closed:<id>", in order. */
  readonly calls: string[] = [];
  /** The final sample of each closed connection, taken when closed() was called. */
  readonly finalSamples = new Map<TrackedConn, [number, number]>();
  private readonly waiters = new Set<() => void>();

  opened(conn: TrackedConn): void {
    this.openedConns.push(conn);
    this.calls.push(`opened:${conn.meta.id}`);
    this.wake();
  }

  closed(conn: TrackedConn): void {
    this.closedConns.push(conn);
    this.calls.push(`closed:${conn.meta.id}`);
    this.finalSamples.set(conn, conn.sample());
    this.wake();
  }

  badHandshake(instanceId: string, kind: string): void {
    this.badHandshakes.push({ instanceId, kind });
  }

  /** Resolves once `count` connections have been closed; rejects after `timeoutMs`. */
  waitClosed(count: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.closedConns.length >= count, `${count} closed connection(s)`, timeoutMs);
  }

  /** Resolves once `count` connections have been opened; rejects after `timeoutMs`. */
  waitOpened(count: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.openedConns.length >= count, `${count} opened connection(s)`, timeoutMs);
  }

  /** No connection was opened or closed twice, and each closed one had been opened. */
  assertBalanced(): void {
    const seen = new Set<string>();
    for (const call of this.calls) {
      if (seen.has(call)) throw new Error(`stats call repeated: ${call}`);
      if (call.startsWith('closed:') && !seen.has(`opened:${call.slice(7)}`)) throw new Error(`${call} without opened`);
      seen.add(call);
    }
  }

  private waitFor(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what} (opened ${this.openedConns.length}, closed ${this.closedConns.length})`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
