import http from 'node:http';
import { WebSocket } from 'ws';
import { connectCore, webSocketChannel, type CoreApi, type CoreEvents, type Rpc } from '../rpc';

/** What an HTTP upgrade attempt got: 101, or an error status with its JSON body. */
export interface UpgradeResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/**
 * Sends a WebSocket upgrade request to `url` (http://host:port/path?query) and reports the
 * answer without speaking WebSocket; an accepted upgrade is closed at once.
 */
export function tryUpgrade(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
      timeout: timeoutMs,
      agent: false,
    });
    req.on('timeout', () => req.destroy(new Error(`upgrade to ${url} timed out`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: null });
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.end();
  });
}

/** A CoreApi client over a real WebSocket to `url` (ws://host:port/rpc). */
export interface WsClient {
  rpc: Rpc<CoreApi, CoreEvents>;
  ws: WebSocket;
  /** Resolves with the close code once the socket is closed. */
  closed: Promise<number>;
  close(): Promise<void>;
}

export async function connectWs(url: string, opts: { token?: string; origin?: string; timeoutMs?: number } = {}): Promise<WsClient> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.origin !== undefined) headers.origin = opts.origin;
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  const rpc = connectCore(webSocketChannel(ws), { timeoutMs: opts.timeoutMs ?? 5000 });
  const close = async (): Promise<void> => {
    rpc.close();
    if (ws.readyState !== ws.CLOSED) ws.terminate();
    await closed;
  };
  try {
    await rpc.ready;
  } catch (err) {
    await close();
    throw err;
  }
  return { rpc, ws, closed, close };
}

/** Counts of this process's open TCP servers and sockets, to assert that a test closed them. */
export function openTcpHandles(): { servers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return {
    servers: info.filter((r) => r === 'TCPServerWrap').length,
    sockets: info.filter((r) => r === 'TCPSocketWrap').length,
  };
}
