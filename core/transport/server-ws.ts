import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/** Options of a WebSocket server transport. */
export interface WsServerOptions {
  /** Only upgrades to this path are accepted (the query string is ignored); others get 404. */
  path: string;
  /** Largest message accepted; a bigger one closes the connection (1009). @default 4 MiB */
  maxPayload?: number;
}

/** A WebSocket server transport attached to an http(s) server; close() ends its sockets. */
export interface WsServerTransport {
  close(): void;
}

/** Bytes the stream lets queue on the socket before a write waits for them to be sent. */
const WRITE_HWM = 256 * 1024;
const SEND_OPTS = { binary: true, compress: false, fin: true } as const;
const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nNot Found\n';

/**
 * Serves byte streams over WebSocket on `server`: every plain HTTP request and every upgrade to
 * another path is answered 404; an upgrade to `opts.path` becomes a WsStream handed to
 * `onStream` with the upgrade request (for the peer's address). No permessage-deflate.
 */
export function attachWsServer(server: Server, opts: WsServerOptions, onStream: (stream: WsStream, req: IncomingMessage) => void): WsServerTransport {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: opts.maxPayload ?? 4 << 20, skipUTF8Validation: true });
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('Not Found\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', ignore);
    if (pathOf(req.url) !== opts.path || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end(NOT_FOUND, () => socket.destroy());
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onStream(new WsStream(ws, socket), req));
  });
  return {
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

/**
 * A WebSocket as a byte stream: each binary (or text) message is pushed as it is, each write is
 * sent as one binary message. Backpressure both ways: reads pause the socket while the consumer
 * is full, writes complete at once until WRITE_HWM bytes wait on the socket. A WebSocket has no
 * half-close: ending the stream sends a close frame; the peer's close frame ends the readable side.
 */
export class WsStream extends Duplex {
  constructor(private readonly ws: WebSocket, readonly socket: Socket) {
    super({ allowHalfOpen: true });
    ws.on('message', this.wsOnMessage);
    ws.on('close', this.wsOnClose);
    ws.on('error', this.wsOnError);
  }

  /** Socket-like, for relays that set it: the underlying socket's Nagle setting. */
  setNoDelay(noDelay = true): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return cb(closedError());
    if (ws.bufferedAmount < WRITE_HWM) {
      ws.send(chunk, SEND_OPTS);
      cb();
    } else {
      ws.send(chunk, SEND_OPTS, (err) => cb(err ?? null));
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.ws.off('message', this.wsOnMessage);
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    cb(err);
  }

  private readonly wsOnMessage = (data: Buffer): void => {
    if (!this.push(data)) this.ws.pause();
  };

  /** The peer is gone both ways: the readable side ends, writes from now on fail with EPIPE. */
  private readonly wsOnClose = (): void => {
    this.push(null);
  };

  private readonly wsOnError = (err: Error): void => {
    this.destroy(err);
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
  // Errors of a socket being refused or upgraded are the ws library's or nobody's concern.
}
