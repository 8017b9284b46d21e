import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEngine, type EngineHarness } from './engine-harness';

/** Closes what a test opened, last first (call `run` in afterEach). */
export function cleanupList(): { add(fn: () => Promise<void> | void): void; run(): Promise<void> } {
  const fns: Array<() => Promise<void> | void> = [];
  return {
    add: (fn) => { fns.push(fn); },
    async run() {
      for (const fn of fns.splice(0).reverse()) await fn();
    },
  };
}

/** A real engine over /rpc, closed by `cleanups`. */
export async function profileEngine(cleanups: ReturnType<typeof cleanupList>, opts?: Parameters<typeof startEngine>[0]): Promise<EngineHarness> {
  const h = await startEngine(opts);
  cleanups.add(() => h.close());
  return h;
}

/**
 * A loopback HTTP server for subscriptions and latency tests: `bodies` maps a path to what it
 * answers (a function is called per request); other paths answer 404. Counts requests by path.
 */
export async function startTextServer(bodies: Record<string, string | (() => string)>): Promise<{ url: string; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = bodies[path];
    if (body === undefined) {
      res.writeHead(404).end('not here');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(typeof body === 'function' ? body() : body);
  });
  server.keepAliveTimeout = 200;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export const UUID_A = '2f7b1c3e-8a4d-4e5f-9b6a-0c1d2e3f4a5b';
export const UUID_B = 'b831381d-6324-4d53-ad4f-8cda48b30811';

/** A `vless://` link with the given query and #name (name percent-encoded). */
export function vlessLink(uuid: string, hostPort: string, query = 'type=tcp&security=none', name?: string): string {
  return `vless://${uuid}@${hostPort}?${query}${name === undefined ? '' : `#${encodeURIComponent(name)}`}`;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
