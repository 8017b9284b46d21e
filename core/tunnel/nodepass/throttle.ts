import type { Socket } from 'node:net';
import type { TokenBucket } from '../../common/token-bucket';

/** Options of throttledPipe. */
export interface ThrottledPipeOptions {
  /** Shared by every session of the instance (NodePass's `rate`). */
  bucket: TokenBucket;
  /** Close both sockets after this long without a byte either way; 0 = never. */
  idleMs: number;
  /** Called once when both sockets are closed, with [user→target, target→user] bytes. */
  onClose(up: number, down: number): void;
}

/**
 * Relays `user` ↔ `target` in JS, spending the instance's token bucket for every chunk: a
 * direction holds a chunk that overdrew the bucket and pauses its reader until the debt is paid (one
 * timer per pause, none while under the rate) or while the writer is full. Sockets close themselves
 * (autoDestroy) once both directions ended and flushed. The relay's native
 * splice cannot throttle, so rate-limited sessions use this instead of Relay.tcp (the runner
 * still registers the target socket with Relay.track, so stats see the bytes).
 */
export function throttledPipe(user: Socket, target: Socket, opts: ThrottledPipeOptions, head?: Buffer): void {
  let up = 0;
  let down = 0;
  let closed = 0;
  let done = false;
  const finish = () => {
    if (++closed < 2 || done) return;
    done = true;
    opts.onClose(up, down);
  };
  const destroyBoth = () => {
    user.destroy();
    target.destroy();
  };
  const pump = (from: Socket, to: Socket, count: (n: number) => void) => {
    // A chunk that overdrew the bucket is held until the debt is paid, so the bytes leave at the rate.
    let held: Buffer | null = null;
    let timer: NodeJS.Timeout | null = null;
    let waitDrain = false;
    let ended = false;
    const maybeResume = () => {
      if (timer === null && !waitDrain && !from.destroyed) from.resume();
    };
    const release = () => {
      timer = null;
      const chunk = held!;
      held = null;
      if (to.destroyed) return;
      if (!to.write(chunk)) waitDrain = true;
      if (ended) to.end();
      else maybeResume();
    };
    to.on('drain', () => {
      waitDrain = false;
      maybeResume();
    });
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      const wait = opts.bucket.take(chunk.length);
      if (wait > 0) {
        from.pause();
        held = chunk;
        timer = setTimeout(release, wait);
        return;
      }
      if (!to.write(chunk)) {
        waitDrain = true;
        from.pause();
      }
    });
    from.on('end', () => {
      ended = true;
      if (held === null) to.end();
    });
    from.on('close', () => {
      if (timer && (from.errored || !ended)) {
        clearTimeout(timer);
        timer = null;
      }
      if (!ended || from.errored) to.destroy();
      finish();
    });
    from.on('error', () => {});
  };
  pump(user, target, (n) => (up += n));
  pump(target, user, (n) => (down += n));
  if (opts.idleMs > 0) {
    // Socket timeouts are re-armed by reads and writes alike, so the user side sees every byte.
    user.setTimeout(opts.idleMs, destroyBoth);
  }
  if (head && head.length > 0) {
    up += head.length;
    target.write(head);
    opts.bucket.take(head.length);
  }
  user.resume();
  target.resume();
}
