import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import WebSocket from 'ws';
import { CoreError } from '../rpc';
import { dialTcp } from './tcp';
import { dialTls, type TlsClientOptions } from './tls';

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

/** Bytes queued in ws and the socket above which write() asks the caller to wait for 'drain'. */
const HIGH_WATER = 256 * 1024;
/** Frames of a binary message, never compressed (permessage-deflate is not negotiated). */
const SEND_OPTIONS = { binary: true, compress: false, fin: true } as const;
const noop = () => undefined;
/** Close codes of a finished conversation: normal, going away, none given. */
const CLEAN_CLOSE = new Set([1000, 1001, 1005]);

/**
 * Opens TCP (or TLS, checked as dialTls does) and upgrades it to a WebSocket with
 * permessage-deflate off. Resolves with a WsConn, paused. Rejects like dialTcp/dialTls, with
 * E_DIAL_FAILED "WebSocket upgrade ... refused: HTTP 404" when the server answers the upgrade
 * with anything but 101, or with `signal.reason`.
 */
export async function dialWs(opts: WsDialOptions): Promise<WsConn> {
  const { host, port, signal } = opts;
  const socket: Socket = opts.tls ? await dialTls({ ...opts.tls, host, port, signal }) : await dialTcp({ host, port, signal });
  socket.on('error', noop);
  // dialTcp/dialTls hand the socket over paused; the HTTP upgrade response must be read.
  socket.resume();
  const secure = !!opts.tls;
  const authority = isIP(host) === 6 ? `[${host}]` : host;
  const url = `${secure ? 'wss' : 'ws'}://${authority}:${port}${opts.path ?? '/'}`;
  const headers = opts.hostHeader ? { Host: opts.hostHeader } : undefined;
  return new Promise<WsConn>((resolve, reject) => {
    if (signal?.aborted) {
      socket.destroy();
      reject(signal.reason);
      return;
    }
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      followRedirects: false,
      skipUTF8Validation: true,
      headers,
      createConnection: () => socket,
    });
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onUnexpected);
      socket.off('error', noop);
    };
    const fail = (err: unknown) => {
      cleanup();
      ws.on('error', noop);
      ws.terminate();
      socket.destroy();
      reject(err);
    };
    function onAbort() {
      fail(signal!.reason);
    }
    function onUnexpected(_req: unknown, res: IncomingMessage) {
      res.resume();
      fail(new CoreError('E_DIAL_FAILED', `WebSocket upgrade of ${url} refused: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
    }
    function onError(err: NodeJS.ErrnoException) {
      const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
      fail(new CoreError(reset ? 'E_DIAL_RESET' : 'E_DIAL_FAILED', `WebSocket upgrade of ${url} failed: ${err.message}`, { cause: err }));
    }
    function onOpen() {
      cleanup();
      resolve(new WsConn(ws, socket));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', onOpen);
    ws.on('error', onError);
    ws.once('unexpected-response', onUnexpected);
  });
}

/**
 * A byte stream over an open WebSocket (client or server side): each write is one binary
 * message; every message received (binary or text) is emitted as 'data' bytes.
 *
 * Events: 'data' (Buffer), 'drain' (after write() returned false), 'end' (the peer closed the
 * WebSocket cleanly; no 'data' after it), 'error' (any close code but 1000/1001/1005, e.g.
 * 1006 when the TCP connection dropped; `code` ECONNRESET), then 'close' once. WebSocket has
 * no half-close: end() only stops writes and leaves the WebSocket open until the peer closes it,
 * so a reply still in flight is not cut. Starts paused.
 */
export class WsConn extends EventEmitter {
  private needDrain = false;
  private ended = false;
  private closed = false;
  private failure: NodeJS.ErrnoException | null = null;
  /** destroy() was called: the close that follows is ours, not news for the listeners. */
  private destroyed = false;

  constructor(private readonly ws: WebSocket, readonly socket: Socket) {
    super();
    ws.binaryType = 'nodebuffer';
    ws.pause();
    ws.on('message', this.wsOnMessage);
    ws.on('close', this.wsOnClose);
    ws.on('error', this.wsOnError);
  }

  /** Sends one binary message; false when more than the high-water mark is queued (wait for 'drain'). */
  write(chunk: Buffer): boolean {
    if (this.closed || this.ended || this.destroyed) return false;
    this.ws.send(chunk, SEND_OPTIONS, this.sendOnDone);
    if (this.ws.bufferedAmount < HIGH_WATER) return true;
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
    if (!err && this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /** Bytes queued for sending (in ws and in the socket). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  private readonly wsOnMessage = (data: Buffer): void => {
    this.emit('data', data);
  };

  private readonly sendOnDone = (err?: Error | null): void => {
    if (err || !this.needDrain || this.ws.bufferedAmount >= HIGH_WATER / 2) return;
    this.needDrain = false;
    this.emit('drain');
  };

  private readonly wsOnClose = (code: number): void => {
    this.closed = true;
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

  private readonly wsOnError = (err: Error): void => {
    // ws closes itself after an error ('close' follows): reported there, once.
    this.failure ??= err;
  };
}
