import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP, type Socket } from 'node:net';
import type { NativeError } from '../route/splice';
import { CoreError } from '../rpc';
import { dialTcp } from './tcp';
import { dialTls, type TlsClientOptions } from './tls';
import { acceptKey, closePayload, encodeFrame, FrameParser, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG } from './ws-frame';

/** Where and how to open a client WebSocket that carries a byte stream in binary messages. */
export interface WsDialOptions {
  host: string;
  port: number;
  /** Request path (and query). @default "/" */
  path?: string;
  /** Host header. @default `host` (with the port when it is not the scheme's default) */
  hostHeader?: string;
  /** TLS under the WebSocket (wss), or null for plaintext. @default null */
  tls?: TlsClientOptions | null;
  /** Aborting destroys the connection; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Bytes queued on the socket above which write() asks the caller to wait for 'drain'. */
const HIGH_WATER = 256 * 1024;
/** Largest upgrade response head accepted. */
const MAX_RESPONSE_HEAD = 16 * 1024;
const noop = () => undefined;
/** Close codes of a finished conversation: normal, going away, none given. */
const CLEAN_CLOSE = new Set([1000, 1001, 1005]);

/**
 * Opens TCP (or TLS, checked as dialTls does) and upgrades it to a WebSocket (RFC 6455, no
 * extensions). Resolves with a WsConn, paused. Rejects like dialTcp/dialTls, with E_DIAL_FAILED
 * "WebSocket upgrade ... refused: HTTP 404 Not Found" when the server answers the upgrade with
 * anything but 101 (or a wrong Sec-WebSocket-Accept), or with `signal.reason`.
 */
export async function dialWs(opts: WsDialOptions): Promise<WsConn> {
  const { host, port, signal } = opts;
  const socket: Socket = opts.tls ? await dialTls({ ...opts.tls, host, port, signal }) : await dialTcp({ host, port, signal });
  const secure = !!opts.tls;
  const authority = isIP(host) === 6 ? `[${host}]` : host;
  const url = `${secure ? 'wss' : 'ws'}://${authority}:${port}${opts.path ?? '/'}`;
  const hostHeader = opts.hostHeader ?? ((secure ? port === 443 : port === 80) ? authority : `${authority}:${port}`);
  const key = randomBytes(16).toString('base64');
  return new Promise<WsConn>((resolve, reject) => {
    let head: Buffer = Buffer.alloc(0);
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const fail = (err: unknown) => {
      cleanup();
      socket.on('error', noop);
      socket.destroy();
      reject(err);
    };
    function onAbort() {
      fail(signal!.reason);
    }
    function onError(err: NodeJS.ErrnoException) {
      const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
      fail(new CoreError(reset ? 'E_DIAL_RESET' : 'E_DIAL_FAILED', `WebSocket upgrade of ${url} failed: ${err.message}`, { cause: err }));
    }
    function onClose() {
      fail(new CoreError('E_DIAL_RESET', `WebSocket upgrade of ${url} failed: the server closed the connection`));
    }
    function onData(chunk: Buffer) {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) fail(new CoreError('E_DIAL_FAILED', `WebSocket upgrade of ${url} failed: response head too large`));
        return;
      }
      const problem = checkUpgradeResponse(head.toString('latin1', 0, end), key);
      if (problem) return fail(new CoreError('E_DIAL_FAILED', `WebSocket upgrade of ${url} refused: ${problem}`));
      cleanup();
      socket.pause();
      if (end + 4 < head.length) socket.unshift(head.subarray(end + 4));
      resolve(new WsConn(socket));
    }
    if (signal?.aborted) return fail(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(`GET ${opts.path ?? '/'} HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    // dialTcp/dialTls hand the socket over paused; the upgrade response must be read.
    socket.resume();
  });
}

/** Why an upgrade response head is not a valid 101 for `key`, or null when it is. */
function checkUpgradeResponse(head: string, key: string): string | null {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
  if (!status) return `malformed response ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`;
  if (status[1] !== '101') return `HTTP ${status[1]} ${status[2]}`.trim();
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if ((headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') return 'HTTP 101 without "Upgrade: websocket"';
  if (headers.get('sec-websocket-accept') !== acceptKey(key)) return 'HTTP 101 with a wrong Sec-WebSocket-Accept';
  if (headers.has('sec-websocket-extensions')) return 'HTTP 101 with an extension that was not offered';
  return null;
}

/**
 * A byte stream over an open client WebSocket: each write is one masked binary frame; the payload
 * of every data frame received (binary, text or continuation) is emitted as 'data' bytes.
 *
 * Events: 'data' (Buffer), 'drain' (after write() returned false), 'end' (the peer closed the
 * WebSocket cleanly; no 'data' after it), 'error' (any close code but 1000/1001/1005, or the TCP
 * connection dropping without a close frame; `code` ECONNRESET), then 'close' once. WebSocket has
 * no half-close: end() only stops writes and leaves the WebSocket open until the peer closes it,
 * so a reply still in flight is not cut. Starts paused.
 */
export class WsConn extends EventEmitter {
  private needDrain = false;
  private ended = false;
  private closed = false;
  /** A close frame was received (code) or sent. */
  private peerCloseCode: number | null = null;
  private closeSent = false;
  private failure: NodeJS.ErrnoException | null = null;
  /** destroy() was called: the close that follows is ours, not news for the listeners. */
  private destroyed = false;
  private readonly parser: FrameParser;

  constructor(readonly socket: Socket) {
    super();
    this.parser = new FrameParser({
      data: (bytes) => this.emit('data', bytes),
      control: (op, payload) => this.onControl(op, payload),
      error: (code, message) => this.protocolError(code, message),
    }, false);
    socket.pause();
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk));
    socket.on('drain', this.onDrain);
    // The TCP connection ends after the close handshake; a FIN without a close frame is abnormal (1006).
    socket.on('end', () => this.socket.destroy());
    socket.on('error', (err: NodeJS.ErrnoException) => { this.failure ??= err; });
    socket.on('close', this.onSocketClose);
  }

  /** Sends one binary frame; false when more than the high-water mark is queued (wait for 'drain'). */
  write(chunk: Buffer): boolean {
    if (this.closed || this.ended || this.destroyed || this.closeSent) return false;
    if (chunk.length === 0) return true;
    if (this.socket.write(encodeFrame(OP_BINARY, chunk, true)) && this.socket.writableLength < HIGH_WATER) return true;
    this.needDrain = true;
    return false;
  }

  /** No more writes. The WebSocket stays open for the peer's reply: it ends when the peer closes (or destroy()). */
  end(): void {
    this.ended = true;
  }

  /** Closes the connection now (a close frame 1000 first when `err` is absent); no 'end'/'error' follows, 'close' does. */
  destroy(err?: Error): void {
    if (this.closed || this.destroyed) return;
    this.destroyed = true;
    if (!err) this.sendClose(1000);
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Bytes queued for sending on the socket. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  private onControl(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      if (!this.closeSent) this.socket.write(encodeFrame(OP_PONG, payload, true));
      return;
    }
    if (opcode !== OP_CLOSE) return;
    this.peerCloseCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    // Echo the close, then the server ends the TCP connection (RFC 6455 §7.1.1); we stop reading.
    this.sendClose(this.peerCloseCode === 1005 ? 1000 : this.peerCloseCode);
    this.socket.end();
  }

  private protocolError(code: number, message: string): void {
    const err: NodeJS.ErrnoException = new Error(`WebSocket protocol error: ${message}`);
    err.code = 'ECONNRESET';
    this.failure ??= err;
    this.sendClose(code);
    this.socket.destroy();
  }

  private sendClose(code: number): void {
    if (this.closeSent || this.socket.destroyed || !this.socket.writable) return;
    this.closeSent = true;
    this.socket.write(encodeFrame(OP_CLOSE, closePayload(code), true));
  }

  private readonly onDrain = (): void => {
    if (!this.needDrain) return;
    this.needDrain = false;
    this.emit('drain');
  };

  private readonly onSocketClose = (): void => {
    this.closed = true;
    const code = this.peerCloseCode ?? 1006;
    if (this.failure === null && !CLEAN_CLOSE.has(code)) {
      this.failure = new Error(`WebSocket closed abnormally (${code})`);
      this.failure.code = 'ECONNRESET';
    }
    if (!this.destroyed) {
      if (this.failure) this.emit('error', this.failure);
      else this.emit('end');
    }
    this.emit('close');
  };
}

/** A native WebSocket upgrade's failure as dialWs words it: "WebSocket upgrade of <url> refused: HTTP 404 Not Found". */
export function wsUpgradeError(err: NativeError, url: string): CoreError {
  const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
  return new CoreError(reset ? 'E_DIAL_RESET' : 'E_DIAL_FAILED', `WebSocket upgrade of ${url} ${err.reason ?? `failed: ${err.code ?? err.message}`}`, { cause: err });
}
