import type { AddressInfo, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { ByteCarrier } from '../../transport/carrier';
import { ResponseReader } from './response';

type Callback = (err?: Error | null) => void;

/** Chunks below this size are joined with their neighbours before being pushed. */
const SMALL_CHUNK = 16 * 1024;
/** Joined chunks are pushed at once when they reach this size. */
const BATCH_BYTES = 64 * 1024;

/**
 * VLESS over a carrier that is not a plain TCP socket (TLS, WebSocket): a Duplex that writes
 * payload to the carrier and reads payload from it with the server's response header stripped.
 * It stands in for a net.Socket where the relay and node:http need one: bytesWritten/bytesRead
 * count payload bytes only (not the VLESS headers), setTimeout/setNoDelay/setKeepAlive/ref/unref
 * and the address getters act on the TCP socket underneath.
 *
 * A server that closes or resets before its response header makes the stream fail with a
 * CoreError (E_DIAL_FAILED / E_DIAL_RESET "... before replying — wrong UUID ...?"); bytes that
 * cannot be a response header with E_DIAL_FAILED. Starts paused, allowHalfOpen. Chunks under
 * 16 KiB that arrive together are pushed as one (see flushSmall).
 */
export class VlessStream extends Duplex {
  private readonly reader: ResponseReader;
  private payloadRead = 0;
  private payloadWritten = 0;
  private pendingWrite: Callback | null = null;
  /** The carrier ended its read side (or closed): nothing more comes from it. */
  private carrierEnded = false;
  private carrierClosed = false;
  private timeoutWired = false;
  /** Small chunks received in this turn of the event loop, joined before they are pushed (see flushSmall). */
  private readonly small: Buffer[] = [];
  private smallBytes = 0;
  private flushQueued = false;

  constructor(private readonly carrier: ByteCarrier, private readonly socket: Socket, what: string) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.reader = new ResponseReader(what);
    carrier.on('data', this.carrierOnData);
    carrier.on('end', this.carrierOnEnd);
    carrier.on('error', this.carrierOnError);
    carrier.on('close', this.carrierOnClose);
    carrier.on('drain', this.carrierOnDrain);
    carrier.pause();
  }

  /** Writes the request header (once, first); not counted in bytesWritten. */
  sendRequest(header: Buffer): void {
    this.carrier.write(header);
  }

  /** Whether the server's response header has been read. */
  get replied(): boolean {
    return this.reader.done;
  }

  get bytesRead(): number {
    return this.payloadRead;
  }

  get bytesWritten(): number {
    return this.payloadWritten;
  }

  get connecting(): boolean {
    return false;
  }

  get pending(): boolean {
    return false;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  address(): AddressInfo | object {
    return this.socket.address();
  }

  /** Like net.Socket#setTimeout: 'timeout' after `ms` without activity on the connection underneath. */
  setTimeout(ms: number, cb?: () => void): this {
    if (!this.timeoutWired) {
      this.timeoutWired = true;
      this.socket.on('timeout', () => this.emit('timeout'));
    }
    if (cb) {
      if (ms === 0) this.off('timeout', cb);
      else this.once('timeout', cb);
    }
    this.socket.setTimeout(ms);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.socket.setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    this.socket.ref();
    return this;
  }

  unref(): this {
    this.socket.unref();
    return this;
  }

  override _read(): void {
    this.carrier.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: Callback): void {
    this.payloadWritten += chunk.length;
    // The carrier is gone but bytes it delivered may still wait to be read: failing the write
    // would destroy them with the stream; these bytes are lost either way.
    if (this.carrierClosed || this.carrier.write(chunk)) cb();
    else this.pendingWrite = cb;
  }

  override _final(cb: Callback): void {
    if (!this.carrierClosed) this.carrier.end();
    cb();
  }

  override _destroy(err: Error | null, cb: Callback): void {
    const cb2 = this.pendingWrite;
    this.pendingWrite = null;
    cb2?.(err);
    // After a clean end both ways the carrier closes itself once its last bytes are flushed.
    if (!(err === null && this.carrierEnded && this.writableFinished)) this.carrier.destroy(err ?? undefined);
    cb(err);
  }

  private readonly carrierOnData = (data: Buffer): void => {
    let chunk: Buffer | null = data;
    if (!this.reader.done) {
      try {
        chunk = this.reader.feed(data);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (chunk === null || chunk.length === 0) return;
    }
    if (chunk.length >= SMALL_CHUNK && this.smallBytes === 0) {
      this.deliver(chunk);
      return;
    }
    this.small.push(chunk);
    this.smallBytes += chunk.length;
    if (this.smallBytes >= BATCH_BYTES) this.flushSmall();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushSmall);
    }
  };

  /**
   * v2ray/Xray write TLS records and WebSocket messages of 2 KiB or less, delivered one by one:
   * relayed as they come, each would cost the relay a write to the client. Those that arrive in
   * one turn of the event loop are joined and pushed once (setImmediate), or at BATCH_BYTES.
   */
  private readonly flushSmall = (): void => {
    this.flushQueued = false;
    if (this.smallBytes === 0 || this.destroyed) return;
    const parts = this.small;
    const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.smallBytes);
    parts.length = 0;
    this.smallBytes = 0;
    this.deliver(chunk);
  };

  private deliver(chunk: Buffer): void {
    this.payloadRead += chunk.length;
    if (!this.push(chunk)) this.carrier.pause();
  }

  private readonly carrierOnEnd = (): void => {
    if (this.carrierEnded) return;
    this.carrierEnded = true;
    if (!this.reader.done) {
      this.destroy(this.reader.closedEarly());
      return;
    }
    this.flushSmall();
    this.push(null);
  };

  private readonly carrierOnError = (err: Error): void => {
    this.destroy(this.reader.done ? err : this.reader.closedEarly(err));
  };

  private readonly carrierOnClose = (): void => {
    this.carrierClosed = true;
    this.carrierOnDrain();
    if (!this.carrierEnded) this.destroy(this.reader.done ? undefined : this.reader.closedEarly());
  };

  private readonly carrierOnDrain = (): void => {
    const cb = this.pendingWrite;
    this.pendingWrite = null;
    cb?.();
  };
}
