import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { acceptKey, closePayload, encodeFrame, FrameParser, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG } from './ws-frame';

/** Options of a WebSocket server transport. */
export interface WsServerOptions {
  /** Only upgrades to this path are accepted (the query string is ignored); others get 404. */
  path: string;
}

/** A WebSocket server transport attached to an http(s) server; close() ends its sockets. */
export interface WsServerTransport {
  close(): void;
}

/** Bytes the stream lets queue on the socket before a write waits for them to be sent. */
const WRITE_HWM = 256 * 1024;
const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nNot Found\n';
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 30\r\nConnection: close\r\n\r\nmissing or bad WebSocket key\r\n';
const UPGRADE_REQUIRED = 'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/**
 * Serves byte streams over WebSocket (RFC 6455, no extensions) on `server`: every plain HTTP
 * request and every upgrade to another path is answered 404; an upgrade to `opts.path` becomes a
 * WsStream handed to `onStream` with the upgrade request (for the peer's address).
 */
export function attachWsServer(server: Server, opts: WsServerOptions, onStream: (stream: WsStream, req: IncomingMessage) => void): WsServerTransport {
  const live = new Set<WsStream>();
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('Not Found\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', ignore);
    const refuse = (answer: string) => socket.end(answer, () => socket.destroy());
    if (req.method !== 'GET' || pathOf(req.url) !== opts.path || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuse(NOT_FOUND);
    if (req.headers['sec-websocket-version'] !== '13') return refuse(UPGRADE_REQUIRED);
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key.trim())) return refuse(BAD_REQUEST);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key.trim())}\r\n\r\n`);
    socket.off('error', ignore);
    const stream = new WsStream(socket, head);
    live.add(stream);
    stream.once('close', () => live.delete(stream));
    onStream(stream, req);
  });
  return {
    close() {
      for (const s of live) s.destroy();
      live.clear();
    },
  };
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
