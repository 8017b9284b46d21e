import http from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FallbackHandler } from '../fallback';
import type { MonitorFigures } from './figures';

/** Monitor parameters (the document's /api/config) and test knobs. */
export interface MonitorServerOptions {
  /** Speed history kept, seconds. @default 60 */
  historySeconds?: number;
  /** WebSocket "stats" push period (and speed snapshot period), ms. @default 1000 */
  broadcastIntervalMs?: number;
  /** WebSocket clients at once; the next ones get close 1011 "Server full". @default 300 */
  maxWsConnections?: number;
  /** A WebSocket client that sent no ping/pong for this long is dropped, ms. @default 60000 */
  heartbeatTimeoutMs?: number;
  /** Server ping period, ms. @default 30000 */
  pingIntervalMs?: number;
  /**
   * Allowed WebSocket Origin; null allows every origin (the document's development mode).
   * @default process.env.VLESS_MONITOR_ORIGIN ?? null
   */
  origin?: string | null;
  /** An idle HTTP connection is closed after this long, ms. @default 10000 */
  httpIdleTimeoutMs?: number;
}

/** The document's /api/performance block, with our relay's real settings. */
export interface PerformanceConfig {
  buffer_size: number;
  tcp_nodelay: boolean;
  tcp_recv_buffer: number;
  tcp_send_buffer: number;
  stats_batch_size: number;
}

const WS_PATHS = new Set(['/api/ws', '/ws']);
const NOT_FOUND = 'Not Found\n';

/**
 * The VLESS-Rust monitor API served on the relay's own port: plaintext sockets that start like
 * HTTP are emitted into a node:http server (never listening itself); `/api/ws` and `/ws` upgrade
 * through a `ws` server in noServer mode. See the monitor document (seeds/vless-rust-monitor-api)
 * and PROTOCOLS.md §5.2 for where VLESS-Rust differs: we follow the document for the close code
 * of a full server (1011, VLESS-Rust sends 1008), the memory_pool field and the two pool
 * endpoints (VLESS-Rust answers 404). Unlike VLESS-Rust, a query string is ignored when matching
 * a path (`/api/stats?t=1` is /api/stats); GET and HEAD only (405 otherwise).
 */
export class MonitorServer {
  private readonly http: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Map<WebSocket, { seen: number }>();
  private readonly opts: Required<MonitorServerOptions>;
  private broadcastTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly figures: MonitorFigures,
    private readonly performance: PerformanceConfig,
    opts: MonitorServerOptions = {},
  ) {
    this.opts = {
      historySeconds: opts.historySeconds ?? 60,
      broadcastIntervalMs: opts.broadcastIntervalMs ?? 1000,
      maxWsConnections: opts.maxWsConnections ?? 300,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 60_000,
      pingIntervalMs: opts.pingIntervalMs ?? 30_000,
      origin: opts.origin !== undefined ? opts.origin : process.env.VLESS_MONITOR_ORIGIN || null,
      httpIdleTimeoutMs: opts.httpIdleTimeoutMs ?? 10_000,
    };
    this.http = http.createServer({ keepAlive: false }, this.httpOnRequest);
    this.http.on('upgrade', this.httpOnUpgrade);
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Install as the relay's fallback handler. */
  readonly handler: FallbackHandler = (socket, head) => {
    if (this.closed || socket.destroyed) return void socket.destroy();
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.setTimeout(this.opts.httpIdleTimeoutMs, () => socket.destroy());
    socket.unshift(head);
    this.http.emit('connection', socket);
    socket.resume();
  };

  /**
   * Starts the broadcast (speed snapshot) and ping timers, kept ref'd: the relay's listener keeps
   * the process alive anyway, and a leaked timer shows in leak checks.
   */
  start(): void {
    if (this.closed || this.broadcastTimer) return;
    this.broadcastTimer = setInterval(this.broadcast, this.opts.broadcastIntervalMs);
    this.pingTimer = setInterval(this.ping, this.opts.pingIntervalMs);
  }

  /** Stops the timers and closes every HTTP and WebSocket connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.broadcastTimer) clearInterval(this.broadcastTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.broadcastTimer = this.pingTimer = null;
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.wss.close();
    this.http.close();
  }

  /** The document's /api/config. */
  config(): Record<string, number> {
    const o = this.opts;
    return {
      speed_history_duration: o.historySeconds,
      broadcast_interval: o.broadcastIntervalMs / 1000,
      websocket_max_connections: o.maxWsConnections,
      websocket_heartbeat_timeout: o.heartbeatTimeoutMs / 1000,
      vless_max_connections: this.figures.maxConnections(),
    };
  }

  private route(path: string): unknown {
    const f = this.figures;
    switch (path) {
      case '/api/stats': return f.snapshot();
      case '/api/user-stats': return f.users();
      case '/api/speed-history': return f.speedHistory();
      case '/api/config': return this.config();
      case '/api/performance': return this.performance;
      case '/api/connection-pool-stats': return f.connectionPool();
      case '/api/memory-pool-stats': return f.memoryPool();
      default: return undefined;
    }
  }

  private readonly httpOnRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.setHeader('Connection', 'close');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    const path = (req.url ?? '/').split('?')[0]!;
    let body: unknown;
    try {
      body = this.route(path);
    } catch (err) {
      return void send(res, 500, 'text/plain; charset=utf-8', `Internal Server Error: ${(err as Error).message}\n`);
    }
    if (body === undefined) return void send(res, 404, 'text/plain; charset=utf-8', NOT_FOUND);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return void send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    }
    send(res, 200, 'application/json', JSON.stringify(body), req.method === 'HEAD');
  };

  private readonly httpOnUpgrade = (req: http.IncomingMessage, socket: Socket, head: Buffer): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    const origin = req.headers.origin;
    // As VLESS-Rust: a wrong Origin is answered like an unknown path (404); a request without
    // Origin (not a browser, so no CSRF) passes.
    if (!WS_PATHS.has(path) || (this.opts.origin !== null && origin !== undefined && origin !== this.opts.origin)) {
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${NOT_FOUND.length}\r\nConnection: close\r\n\r\n${NOT_FOUND}`);
      return;
    }
    socket.setTimeout(0);
    this.wss.handleUpgrade(req, socket, head, this.wsOnOpen);
  };

  private readonly wsOnOpen = (ws: WebSocket): void => {
    if (this.closed) return void ws.terminate();
    if (this.clients.size >= this.opts.maxWsConnections) {
      // The document's code (1011); VLESS-Rust v1.2.1 sends 1008 (PROTOCOLS.md §5.2).
      ws.close(1011, 'Server full');
      return;
    }
    const state = { seen: Date.now() };
    this.clients.set(ws, state);
    const alive = () => (state.seen = Date.now());
    ws.on('pong', alive);
    ws.on('ping', alive);
    ws.on('error', () => ws.terminate());
    ws.once('close', () => this.clients.delete(ws));
    ws.send(JSON.stringify({ type: 'history', payload: this.figures.speedHistory() }));
  };

  private readonly broadcast = (): void => {
    const now = Date.now();
    for (const [ws, s] of this.clients) {
      if (now - s.seen > this.opts.heartbeatTimeoutMs) {
        this.clients.delete(ws);
        ws.terminate();
      }
    }
    // Every tick takes a speed snapshot, clients or not, so the history is there when one asks.
    const data = this.figures.snapshot();
    if (this.clients.size === 0) return;
    const msg = JSON.stringify({ type: 'stats', payload: data });
    for (const ws of this.clients.keys()) if (ws.readyState === ws.OPEN) ws.send(msg);
  };

  private readonly ping = (): void => {
    for (const ws of this.clients.keys()) if (ws.readyState === ws.OPEN) ws.ping();
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}
