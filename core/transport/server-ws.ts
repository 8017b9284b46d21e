import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { acceptKey, closePayload, encodeFrame, FrameParser, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG } from './ws-frame';

/** Options of a WebSocket server transport. */
export interface WsServerOptions {
  /** Only upgrades to this path are accepted (the query string is ignored); others get 404. */
  path: string;
}

/** Bytes the stream lets queue on the socket before a write waits for them to be sent. */
const WRITE_HWM = 256 * 1024;
const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nNot Found\n';
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 30\r\nConnection: close\r\n\r\nmissing or bad WebSocket key\r\n';
const UPGRADE_REQUIRED = 'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/** Largest upgrade request head accepted. */
const MAX_REQUEST_HEAD = 16 * 1024;
const HEAD_TOO_LARGE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/** Accepts WebSocket upgrades on sockets handed to it; close() ends every stream it made. */
export interface WsAcceptor {
  /**
   * Reads the upgrade request from a new (plaintext or TLS) connection, at most `timeoutMs`.
   * `peer`: the client's address when the socket is not its own connection (a native bridge).
   */
  accept(socket: Socket, peer?: WsPeer): void;
  close(): void;
}

/**
 * Serves byte streams over WebSocket (RFC 6455, no extensions) on raw connections, without an
 * HTTP server per connection: the request head is read and checked here; an upgrade to
 * `opts.path` becomes a WsStream handed to `onStream`, anything else is answered 404 (other paths,
 * plain requests), 400 (bad key), 426 (version) or 431 and closed. A client that does not finish its
 * request within `opts.timeoutMs` is cut.
 */
/** Where a WebSocket client connected from. */
export interface WsPeer {
  address: string;
  port: number;
}

export function createWsAcceptor(opts: WsServerOptions & { timeoutMs: number }, onStream: (stream: WsStream, peer?: WsPeer) => void): WsAcceptor {
  const live = new Set<WsStream>();
  const refuse = (socket: Socket, answer: string) => socket.end(answer, () => socket.destroy());
  return {
    accept(socket, peer) {
      let head: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => socket.destroy(), opts.timeoutMs);
      const done = () => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', done);
      };
      const onData = (chunk: Buffer) => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_REQUEST_HEAD) {
            done();
            refuse(socket, HEAD_TOO_LARGE);
          }
          return;
        }
        done();
        const answer = upgradeAnswer(head.toString('latin1', 0, end), opts.path);
        if (!answer.ok) return refuse(socket, answer.response);
        socket.pause();
        socket.write(answer.response);
        const stream = new WsStream(socket, head.subarray(end + 4));
        live.add(stream);
        stream.once('close', () => live.delete(stream));
        onStream(stream, peer);
      };
      socket.on('error', ignore);
      socket.on('data', onData);
      socket.on('close', done);
    },
    close() {
      for (const s of live) s.destroy();
      live.clear();
    },
  };
}

/** The answer to an upgrade request head: 101 with the accept key, or the refusal to send. */
function upgradeAnswer(head: string, path: string): { ok: boolean; response: string } {
  const lines = head.split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.1$/.exec(lines[0] ?? '');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const connection = (headers.get('connection') ?? '').toLowerCase().split(',').map((t) => t.trim());
  if (!m || m[1] !== 'GET' || pathOf(m[2]) !== path || (headers.get('upgrade') ?? '').toLowerCase() !== 'websocket' || !connection.includes('upgrade')) {
    return { ok: false, response: NOT_FOUND };
  }
  if (headers.get('sec-websocket-version') !== '13') return { ok: false, response: UPGRADE_REQUIRED };
  const key = headers.get('sec-websocket-key') ?? '';
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return { ok: false, response: BAD_REQUEST };
  return { ok: true, response: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n` };
}

/**
 * A server-side WebSocket as a byte stream: the payload of every data frame is pushed as it
 * arrives (a view of the socket's chunk, unmasked in place), each write goes out as one binary
 * frame (header and payload corked into one writev, no copy). Backpressure both ways: reads pause
 * the socket while the consumer is full, writes complete at once until WRITE_HWM bytes wait on the
 * socket. A WebSocket has no half-close: ending the stream sends a close frame; the peer's close
 * frame is answered and ends the readable side.
 */
export class WsStream extends Duplex {
  private readonly parser: FrameParser;
  private closeSent = false;
  private waiting: ((err?: Error | null) => void) | null = null;

  constructor(readonly socket: Socket, head: Buffer) {
    super({ allowHalfOpen: true });
    this.parser = new FrameParser({
      data: (bytes) => {
        if (!this.push(bytes)) socket.pause();
      },
      control: (op, payload) => this.onControl(op, payload),
      error: (code, message) => {
        this.sendClose(code);
        this.destroy(Object.assign(new Error(`WebSocket protocol error: ${message}`), { code: 'ECONNRESET' }));
      },
    }, true);
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk));
    socket.on('drain', this.onDrain);
    // A FIN without a close frame, or the socket closing: the readable side ends (as after a close).
    socket.on('end', () => { this.push(null); socket.destroy(); });
    // Data already pushed stays readable; writes from now on fail with EPIPE.
    socket.on('close', () => {
      this.push(null);
      const cb = this.waiting;
      this.waiting = null;
      cb?.(closedError());
    });
    socket.on('error', (err) => this.destroy(err));
    if (head.length > 0) this.parser.push(head);
  }

  /** Socket-like, for relays that set it: the underlying socket's Nagle setting. */
  setNoDelay(noDelay = true): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const socket = this.socket;
    if (this.closeSent || socket.destroyed || !socket.writable) return cb(closedError());
    socket.cork();
    socket.write(encodeFrame(OP_BINARY, chunk, false));
    socket.write(chunk);
    socket.uncork();
    if (socket.writableLength < WRITE_HWM) cb();
    else this.waiting = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendClose(1000);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(closedError());
    this.socket.destroy();
    cb(err);
  }

  private onControl(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      if (!this.closeSent && this.socket.writable) {
        this.socket.cork();
        this.socket.write(encodeFrame(OP_PONG, payload, false));
        this.socket.write(payload);
        this.socket.uncork();
      }
      return;
    }
    if (opcode !== OP_CLOSE) return;
    // The peer is done both ways: answer, end the readable side, and (as the server) close TCP.
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1000;
    this.sendClose(code === 1005 || code < 1000 ? 1000 : code);
    this.push(null);
    this.socket.end();
  }

  private sendClose(code: number): void {
    if (this.closeSent || this.socket.destroyed || !this.socket.writable) return;
    this.closeSent = true;
    const payload = closePayload(code);
    this.socket.cork();
    this.socket.write(encodeFrame(OP_CLOSE, payload, false));
    this.socket.write(payload);
    this.socket.uncork();
  }

  private readonly onDrain = (): void => {
    const cb = this.waiting;
    if (cb === null || this.socket.writableLength >= WRITE_HWM) return;
    this.waiting = null;
    cb();
  };
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function closedError(): Error {
  return Object.assign(new Error('the WebSocket is closed'), { code: 'EPIPE' });
}

function ignore(): void {
  // Errors of a socket being refused are nobody's concern.
}
