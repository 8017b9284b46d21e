import http from 'node:http';
import { WebSocket } from 'ws';

/** One HTTP answer of the monitor. */
export interface MonitorAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GET (or `method`) `path` on 127.0.0.1:`port` over a fresh connection; bounded by 5 s. */
export function monitorGet(port: number, path: string, method = 'GET'): Promise<MonitorAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET `path` and parse the JSON body (asserting 200 and application/json). */
export async function monitorJson<T = unknown>(port: number, path: string): Promise<T> {
  const r = await monitorGet(port, path);
  if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}`);
  if (r.headers['content-type'] !== 'application/json') throw new Error(`GET ${path}: ${r.headers['content-type']}`);
  return JSON.parse(r.body) as T;
}

/** A monitor WebSocket client recording every message and how it closed. */
export interface MonitorWs {
  ws: WebSocket;
  messages: { type: string; payload: unknown }[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `n` messages arrived; rejects after `timeoutMs`. */
  waitMessages(n: number, timeoutMs?: number): Promise<void>;
}

/** Opens `path`; resolves once open, rejects with the HTTP status of a refused upgrade. */
export function monitorWs(port: number, path: string, opts: { origin?: string; autoPong?: boolean } = {}): Promise<MonitorWs> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { origin: opts.origin, autoPong: opts.autoPong ?? true, perMessageDeflate: false });
  const messages: MonitorWs['messages'] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (d: Buffer) => {
    messages.push(JSON.parse(d.toString('utf8')) as MonitorWs['messages'][number]);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString('utf8') })));
  const client: MonitorWs = {
    ws, messages, closed,
    waitMessages(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out with ${messages.length} of ${n} messages`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade answered ${res.statusCode}`));
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
