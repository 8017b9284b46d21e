/** An entry of a DeadlineQueue; the queue owns the three link fields. */
export interface Deadlined {
  /** Date.now() at which expire() is called, set by DeadlineQueue.add. */
  deadline: number;
  prevDue: Deadlined | null;
  nextDue: Deadlined | null;
  /** The deadline passed while queued; the entry is already unlinked. */
  expire(): void;
}

/**
 * Deadlines that all lie the same `timeoutMs` after they are added (handshakes, dials), kept in
 * insertion order, which is also deadline order: adding and removing are O(1) link updates and a
 * single unref'd timer, set for the oldest entry, serves them all — instead of a timer object
 * created and cancelled per connection. Expiry is as precise as setTimeout's.
 */
export class DeadlineQueue {
  private head: Deadlined | null = null;
  private tail: Deadlined | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly fire = () => this.expireDue();

  constructor(readonly timeoutMs: number) {}

  /** Queues `item` to expire `timeoutMs` from now. The item must not be queued already. */
  add(item: Deadlined): void {
    item.deadline = Date.now() + this.timeoutMs;
    item.nextDue = null;
    item.prevDue = this.tail;
    if (this.tail) this.tail.nextDue = item;
    else this.head = item;
    this.tail = item;
    // An armed timer fires no later than the oldest deadline, which is never after this one.
    if (this.timer === null) this.arm(this.timeoutMs);
  }

  /** Unqueues `item` (no-op when it is not queued). The timer stays: it finds nothing due and stops. */
  remove(item: Deadlined): void {
    if (item.prevDue === null && this.head !== item) return;
    if (item.prevDue) item.prevDue.nextDue = item.nextDue;
    else this.head = item.nextDue;
    if (item.nextDue) item.nextDue.prevDue = item.prevDue;
    else this.tail = item.prevDue;
    item.prevDue = item.nextDue = null;
  }

  /** Drops every entry without expiring it and stops the timer. */
  clear(): void {
    while (this.head) this.remove(this.head);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.fire, ms);
    this.timer.unref();
  }

  private expireDue(): void {
    this.timer = null;
    const now = Date.now();
    while (this.head !== null && this.head.deadline <= now) {
      const item = this.head;
      this.remove(item);
      item.expire();
    }
    if (this.head !== null && this.timer === null) this.arm(Math.max(1, this.head.deadline - now));
  }
}
