/** Default period of the pool adjuster (ms): how long idle connections must sit unused before the pool shrinks. */
export const POOL_ADJUST_MS = 2000;
/** The pool halves when at least this share of it stayed idle through a whole adjust period. */
export const SHRINK_IDLE_RATIO = 0.5;
/** First delay before dialing again after a failed pool dial (ms); doubles per failure in a row. */
export const DIAL_RETRY_MIN_MS = 100;
/** Longest delay between failed pool dials (ms), as NodePass's 100 ms–1 s dial interval. */
export const DIAL_RETRY_MAX_MS = 1000;

/**
 * The client's pool capacity between `min` and `max`, as NodePass adapts it (grow when the pool is
 * used up, shrink when connections sit idle), without timers or sockets of its own:
 * - grow: when a session takes the last ready connection or finds none, and sessions have taken at
 *   least a whole capacity's worth since the last growth, the capacity doubles (up to `max`);
 * - shrink: `tick` (every adjust period) halves it (down to `min`) when the pool never ran dry in the
 *   period and its low-water mark of ready connections stayed ≥ SHRINK_IDLE_RATIO of the capacity,
 *   i.e. the period's peak demand fits in the halved pool. The caller closes the surplus.
 */
export class PoolCapacity {
  capacity: number;
  private low = Infinity;
  private dry = false;
  private takenSinceGrow = 0;

  constructor(readonly min: number, readonly max: number) {
    this.max = Math.max(1, max);
    this.min = Math.max(1, Math.min(min, this.max));
    this.capacity = this.min;
  }

  /** A session took a ready connection; `idle` = ready ones left. True when the capacity grew. */
  taken(idle: number): boolean {
    this.takenSinceGrow++;
    if (idle < this.low) this.low = idle;
    return idle === 0 ? this.ranDry() : false;
  }

  /** A session found no ready connection (it waits for one). True when the capacity grew. */
  missed(): boolean {
    this.takenSinceGrow++;
    this.low = 0;
    return this.ranDry();
  }

  /** End of an adjust period with `idle` ready connections now; returns the (new) capacity. */
  tick(idle: number): number {
    const low = Math.min(this.low, idle);
    if (!this.dry && this.capacity > this.min && low >= this.capacity * SHRINK_IDLE_RATIO) {
      this.capacity = Math.max(this.min, Math.ceil(this.capacity / 2));
      this.takenSinceGrow = 0;
    }
    this.dry = false;
    this.low = Math.min(idle, this.capacity);
    return this.capacity;
  }

  private ranDry(): boolean {
    this.dry = true;
    if (this.capacity >= this.max || this.takenSinceGrow < this.capacity) return false;
    this.capacity = Math.min(this.max, this.capacity * 2);
    this.takenSinceGrow = 0;
    return true;
  }
}

/** The delay before the next pool dial after a failure: 100 ms doubling to 1 s, reset by a success. */
export class DialBackoff {
  private next = DIAL_RETRY_MIN_MS;

  failed(): number {
    const d = this.next;
    this.next = Math.min(DIAL_RETRY_MAX_MS, this.next * 2);
    return d;
  }

  succeeded(): void {
    this.next = DIAL_RETRY_MIN_MS;
  }
}
