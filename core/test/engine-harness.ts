import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from '../api/server';
import { Engine } from '../engine/engine';
import type { CoreApi, CoreEvents, Rpc } from '../rpc';
import { connectWs } from './api-ws';

/**
 * A real engine on a temp data dir behind the real API server, driven over the /rpc WebSocket
 * exactly as the dashboard does.
 */
export interface EngineHarness {
  engine: Engine;
  client: Rpc<CoreApi, CoreEvents>;
  dataDir: string;
  /** Closes the client, the engine and removes the data dir (unless keepDir). */
  close(opts?: { keepDir?: boolean }): Promise<void>;
}

export async function startEngine(opts: { dataDir?: string; statsIntervalMs?: number; tunnelCheckpointMs?: number } = {}): Promise<EngineHarness> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'relaydesk-engine-'));
  const engine = await Engine.open({ dataDir, statsIntervalMs: opts.statsIntervalMs ?? 200, tunnelCheckpointMs: opts.tunnelCheckpointMs });
  const token = 'test-token-0123456789';
  const api = createApiServer({ engine, listen: '127.0.0.1:0', token, log: engine.logs.logger('api') });
  const address = await api.start();
  const ws = await connectWs(`ws://${address}/rpc`, { token });
  const client = ws.rpc;
  await client.ready;
  return {
    engine, client, dataDir,
    async close({ keepDir = false } = {}) {
      await ws.close();
      await api.close();
      await engine.close();
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A local HTTP server answering GET with `body` and echoing POST bodies' length. */
export async function startHttpTarget(body: Buffer | string = 'hello from target\n'): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => res.end(`received ${n}\n`));
      return;
    }
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('slow start\n');
      const t = setInterval(() => res.write('.'), 100);
      req.socket.on('close', () => clearInterval(t));
      return;
    }
    res.end(body);
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`, port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Runs curl with a hard timeout; resolves with its exit code, stdout and stderr. */
export function curl(args: string[], timeoutMs = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args], { timeout: timeoutMs + 2000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
