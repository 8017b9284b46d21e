import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TokenBucket } from '../../common/token-bucket';

/** Speed limits of one stream; null is unlimited. */
export interface ThrottleBuckets {
  /** Bytes read from the client (towards the destination). */
  up: TokenBucket | null;
  /** Bytes written to the client. */
  down: TokenBucket | null;
}

/**
 * A client stream moved at most at its buckets' rates. Reads: each chunk read from `inner` spends
 * its size from `up`; while the bucket is in debt `inner` is paused and one timer resumes it when
 * the debt is repaid. Writes: a write's callback is held until `down` is out of debt (and `inner`
 * drained), so whoever writes sees backpressure and stops reading its source. No timer runs while
 * nothing is throttled.
 *
 * Being a plain Duplex (not a net.Socket), it also keeps the relay in JS: the native splice relay
 * only takes real sockets, and bytes it moved could not be throttled.
 */
export class ThrottledStream extends Duplex {
  private upTimer: NodeJS.Timeout | null = null;
  private downTimer: NodeJS.Timeout | null = null;
  /** The consumer wants data (set by _read, cleared when push() says it is full). */
  private wanted = false;
  private innerEnded = false;

  /** `charged`: bytes already read from the client (a head handled elsewhere) to spend from `up`. */
  constructor(private readonly inner: Duplex, private readonly buckets: ThrottleBuckets, charged = 0) {
    super({ allowHalfOpen: true });
    if (charged > 0) buckets.up?.take(charged);
    inner.on('data', this.innerOnData);
    inner.once('end', this.innerOnEnd);
    inner.on('error', this.innerOnError);
    inner.once('close', this.innerOnClose);
    inner.pause();
  }

  /** Socket-like, for relays that set it. */
  setNoDelay(noDelay = true): this {
    (this.inner as Partial<Socket>).setNoDelay?.(noDelay);
    return this;
  }

  override _read(): void {
    this.wanted = true;
    if (this.upTimer === null && !this.innerEnded) this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const wait = this.buckets.down?.take(chunk.length) ?? 0;
    const flushed = this.inner.write(chunk);
    if (wait === 0 && flushed) return cb();
    const until = performance.now() + wait;
    const proceed = () => {
      const rest = until - performance.now();
      if (rest <= 0 || this.destroyed) return cb();
      this.downTimer = setTimeout(() => {
        this.downTimer = null;
        cb();
      }, Math.ceil(rest));
    };
    if (flushed) proceed();
    else this.inner.once('drain', proceed);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.upTimer) clearTimeout(this.upTimer);
    if (this.downTimer) clearTimeout(this.downTimer);
    this.upTimer = null;
    this.downTimer = null;
    this.inner.destroy();
    cb(err);
  }

  private readonly innerOnData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.wanted = false;
    const wait = this.buckets.up?.take(chunk.length) ?? 0;
    if (wait > 0) {
      this.inner.pause();
      if (this.upTimer === null) this.upTimer = setTimeout(this.upResume, wait);
    } else if (!this.wanted) {
      this.inner.pause();
    }
  };

  private readonly upResume = (): void => {
    this.upTimer = null;
    const wait = this.buckets.up?.delay() ?? 0;
    if (wait > 0) this.upTimer = setTimeout(this.upResume, wait);
    else if (this.wanted && !this.innerEnded) this.inner.resume();
  };

  private readonly innerOnEnd = (): void => {
    this.innerEnded = true;
    this.push(null);
  };

  private readonly innerOnError = (err: Error): void => {
    this.destroy(err);
  };

  /** After a clean end both ways, what is still buffered here is delivered first. */
  private readonly innerOnClose = (): void => {
    if (this.destroyed) return;
    if (!this.innerEnded || this.readableEnded) this.destroy();
    else this.once('end', () => this.destroy());
  };
}
