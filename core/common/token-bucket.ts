/** Options of a TokenBucket. */
export interface TokenBucketOptions {
  /** Bytes that may pass at once after a quiet spell. @default max(16 KiB, rate / 8) */
  burstBytes?: number;
  /** Monotonic clock in ms, for tests. @default performance.now */
  now?: () => number;
}

/**
 * A byte-rate limiter for streams that are throttled by pausing reads (or delaying write
 * callbacks), never by polling: `take(n)` spends n bytes at once, going into debt when there are
 * not enough tokens, and answers how long the caller must wait before moving more bytes. Several
 * streams may share one bucket (a user's connections): each waits for the shared debt, so together
 * they stay at the rate. Tokens refill continuously at `rateBps`, up to the burst.
 */
export class TokenBucket {
  readonly rateBps: number;
  readonly burstBytes: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;

  constructor(rateBps: number, opts: TokenBucketOptions = {}) {
    if (!(rateBps > 0) || !Number.isFinite(rateBps)) throw new RangeError(`rate ${rateBps} is not a positive number of bytes per second`);
    this.rateBps = rateBps;
    this.burstBytes = opts.burstBytes ?? Math.max(16 * 1024, Math.floor(rateBps / 8));
    this.now = opts.now ?? (() => performance.now());
    this.tokens = this.burstBytes;
    this.last = this.now();
  }

  /** Spends `n` bytes; returns the ms to wait before moving more (0 when the bucket is not in debt). */
  take(n: number): number {
    this.refill();
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rateBps);
  }

  /** The ms to wait before moving more, without spending anything. */
  delay(): number {
    this.refill();
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rateBps);
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed > 0) this.tokens = Math.min(this.burstBytes, this.tokens + (elapsed * this.rateBps) / 1000);
  }
}
