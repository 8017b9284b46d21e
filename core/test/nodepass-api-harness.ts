import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, type ApiServer } from '../api/server';
import { Engine } from '../engine/engine';

/** A real engine on a temp dir behind the real API server; `req` speaks to its NodePass master API. */
export interface MasterHarness {
  engine: Engine;
  api: ApiServer;
  /** e.g. "http://127.0.0.1:40123" */
  origin: string;
  /** origin + "/api/v1" */
  base: string;
  /** The current API key (read from the engine's settings). */
  key(): string;
  req(method: string, path: string, opts?: MasterRequestOptions): Promise<MasterReply>;
  close(): Promise<void>;
}

export interface MasterRequestOptions {
  /** JSON-encoded unless a string. */
  body?: unknown;
  /** X-API-Key value; null sends none. @default the current key */
  key?: string | null;
  headers?: Record<string, string>;
}

export interface MasterReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export async function startMaster(): Promise<MasterHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'relaydesk-npapi-'));
  const engine = await Engine.open({ dataDir, statsIntervalMs: 200 });
  const api = createApiServer({ engine, listen: '127.0.0.1:0', token: 'npapi-token-0123456789', log: engine.logs.logger('api') });
  const origin = `http://${await api.start()}`;
  const base = `${origin}/api/v1`;
  const key = () => engine.getSettings().masterApi.key!;
  return {
    engine, api, origin, base, key,
    req: (method, path, opts = {}) => masterRequest(`${path.startsWith('http') ? '' : base}${path}`, method, { key: key(), ...opts }),
    async close() {
      await api.close();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One HTTP request without keep-alive, bounded to 10 s. */
export function masterRequest(url: string, method: string, opts: MasterRequestOptions = {}): Promise<MasterReply> {
  const body = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  const headers: Record<string, string> = { connection: 'close', ...opts.headers };
  if (opts.key) headers['x-api-key'] = opts.key;
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** One parsed SSE frame. */
export interface SseFrame {
  event?: string;
  data?: string;
  retry?: string;
  json: any;
}

/** An SSE client over fetch's body reader (EventSource cannot send X-API-Key). */
export interface SseClient {
  status: number;
  headers: Headers;
  frames: SseFrame[];
  /** Resolves with the first frame (from `from` on) that matches, or rejects after timeoutMs. */
  waitFor(match: (f: SseFrame) => boolean, timeoutMs?: number, from?: number): Promise<SseFrame>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEvents(base: string, key: string): Promise<SseClient> {
  const ac = new AbortController();
  const res = await fetch(`${base}/events`, { headers: { 'x-api-key': key }, signal: ac.signal });
  const frames: SseFrame[] = [];
  const waiters = new Set<() => void>();
  const decoder = new TextDecoder();
  let buffer = '';
  const pump = async () => {
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const f: SseFrame = { json: null };
          for (const line of block.split('\n')) {
            const i = line.indexOf(': ');
            const [k, v] = i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 2)];
            if (k === 'event' || k === 'data' || k === 'retry') f[k] = v;
          }
          if (f.data !== undefined) f.json = JSON.parse(f.data);
          frames.push(f);
          for (const w of [...waiters]) w();
        }
      }
    } catch {
      /* aborted */
    } finally {
      for (const w of [...waiters]) w();
    }
  };
  let finished = false;
  const ended = pump().then(() => { finished = true; for (const w of [...waiters]) w(); });
  return {
    status: res.status, headers: res.headers, frames, ended,
    waitFor(match, timeoutMs = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.slice(from).find(match);
          if (f) { done(); resolve(f); } else if (finished) { done(); reject(new Error('stream ended')); }
        };
        const timer = setTimeout(() => { done(); reject(new Error('timed out waiting for an SSE frame')); }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    close: () => ac.abort(),
  };
}

/** A port that was free a moment ago (the URL grammar refuses port 0 for a listening client). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The Instance fields in NodePass's order. */
export const NP_INSTANCE_KEYS = ['id', 'alias', 'type', 'status', 'url', 'config', 'restart', 'meta', 'mode', 'ping', 'pool', 'tcps', 'udps', 'tcprx', 'tcptx', 'udprx', 'udptx'];
