import { LinkedList, type ListNode } from './linked-list';

/** Something that expires after a stretch without traffic, checked by an IdleSweeper. */
export interface Sweepable {
  /** The idle time this item tolerates; it sets how often the sweeper looks (a quarter of it, 25 ms..1 s). */
  readonly idleTimeoutMs: number;
  /** Ends the item (or parts of it) when idle for longer than its timeout at `now` (Date.now()); may remove itself. */
  sweep(now: number): void;
}

/**
 * One unref'd interval timer for every idle timeout of the relay (TCP sessions on the JS path,
 * UDP associations), instead of a timer per socket re-armed on every chunk. Items measure their own
 * idleness; the sweeper only calls them. The timer runs only while it has items.
 */
export class IdleSweeper {
  private readonly items = new LinkedList<Sweepable>();
  private timer: NodeJS.Timeout | null = null;
  private period = Infinity;

  /** Starts sweeping `item`; the node stops it (delete). */
  add(item: Sweepable): ListNode<Sweepable> {
    const node = this.items.add(item);
    const period = Math.min(1000, Math.max(25, Math.floor(item.idleTimeoutMs / 4)));
    if (period < this.period || this.timer === null) {
      this.period = Math.min(period, this.period);
      this.restart();
    }
    return node;
  }

  delete(node: ListNode<Sweepable>): void {
    if (!this.items.remove(node)) return;
    if (this.items.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.period = Infinity;
    }
  }

  private restart(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const item of this.items) item.sweep(now);
    }, this.period);
    this.timer.unref();
  }
}
