import net from 'node:net';
import { Readable } from 'node:stream';
import { CoreError } from '../../rpc';
import { ResponseReader } from './response';

const socketBytesRead = Object.getOwnPropertyDescriptor(net.Socket.prototype, 'bytesRead')!.get!;
const socketBytesWritten = Object.getOwnPropertyDescriptor(net.Socket.prototype, 'bytesWritten')!.get!;
const readableLength = Object.getOwnPropertyDescriptor(Readable.prototype, 'readableLength')!.get!;

/**
 * VLESS over plain TCP: a real net.Socket, so the native splice relay can take its descriptor
 * over, that hides the VLESS framing. The request header written by `sendRequest` is not counted
 * in bytesWritten; the server's response header is stripped from the bytes read (delivered
 * through push(), where net.Socket hands every read to the stream) and not counted in bytesRead.
 *
 * Until the response header has been read, the socket reports one byte more in both
 * readableLength and bytesRead (a placeholder for the header still owed): bytesRead -
 * readableLength stays the number of payload bytes delivered, and a relay that hands sockets to
 * splice(2) only when nothing is buffered (route/splice.ts) waits until the header is stripped.
 * Consumers that read the descriptor directly (tls.connect({socket}), an HTTP server parser)
 * would bypass the stripping: wrap the socket in a JS Duplex for them.
 *
 * A server that closes or resets before its header makes the socket fail with a CoreError
 * (E_DIAL_FAILED / E_DIAL_RESET, "... before replying — wrong UUID ...?"); bytes that cannot be a
 * response header with E_DIAL_FAILED.
 */
export class VlessTcpSocket extends net.Socket {
  private readonly reader: ResponseReader;
  private requestLength = 0;
  /** The connection was established and the request sent: errors now mean the server refused it. */
  private requested = false;

  constructor(what: string) {
    super({ allowHalfOpen: true });
    this.reader = new ResponseReader(what);
  }

  /** Writes the request header (once, right after connecting). */
  sendRequest(header: Buffer): void {
    this.requestLength = header.length;
    this.requested = true;
    this.write(header);
  }

  /** Whether the server's response header has been read. */
  get replied(): boolean {
    return this.reader.done;
  }

  override push(chunk: Buffer | null, encoding?: BufferEncoding): boolean {
    if (this.reader.done) return super.push(chunk, encoding);
    if (chunk === null) {
      this.destroy(this.reader.closedEarly());
      return false;
    }
    let rest: Buffer | null;
    try {
      rest = this.reader.feed(chunk);
    } catch (err) {
      this.destroy(err as Error);
      return false;
    }
    return rest === null || rest.length === 0 ? true : super.push(rest);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const early = err !== null && this.requested && !this.reader.done && !(err instanceof CoreError);
    super._destroy(early ? this.reader.closedEarly(err) : err, cb);
  }

  /** 1 while the response header is owed by a live connection (see the class comment). */
  private get owed(): number {
    return this.reader.done || this.destroyed ? 0 : 1;
  }

  static {
    // Accessors on the prototype, as net.Socket and Readable define them.
    Object.defineProperties(this.prototype, {
      bytesRead: {
        configurable: true,
        get(this: VlessTcpSocket) {
          return this.reader.done ? (socketBytesRead.call(this) as number) - this.reader.headerLength : this.owed;
        },
      },
      bytesWritten: {
        configurable: true,
        get(this: VlessTcpSocket) {
          const n = socketBytesWritten.call(this) as number | undefined;
          return n === undefined ? undefined : Math.max(0, n - this.requestLength);
        },
      },
      readableLength: {
        configurable: true,
        get(this: VlessTcpSocket) {
          return (readableLength.call(this) as number) + this.owed;
        },
      },
    });
  }
}
