import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine';
import { LogBus } from '../log/logger';
import type { Instance } from '../rpc';
import { connectWs, openTcpHandles, tryUpgrade } from '../test/api-ws';
import { waitFor } from '../test/engine-harness';
import { createApiServer, type ApiServer } from './server';
import { DASHBOARD_CSP } from './static-route';

const TOKEN = 'test-token-0123456789';
const cleanups: Array<() => Promise<void> | void> = [];
let baseline: ReturnType<typeof openTcpHandles>;

beforeEach(() => { baseline = openTcpHandles(); });
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  // Every server and socket a test opened is closed by its teardown.
  await waitFor(() => {
    const now = openTcpHandles();
    return now.servers <= baseline.servers && now.sockets <= baseline.sockets;
  }, 3000, 'TCP handles to close');
});

async function engine(): Promise<Engine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'relaydesk-api-'));
  const e = await Engine.open({ dataDir, statsIntervalMs: 200 });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanups.push(() => e.close());
  return e;
}

async function serve(opts: { staticDir?: string; allowOrigins?: string[]; listen?: string } = {}): Promise<{ server: ApiServer; base: string; ws: string; engine: Engine }> {
  const e = await engine();
  const server = createApiServer({ engine: e, listen: opts.listen ?? '127.0.0.1:0', token: TOKEN, log: new LogBus().logger('api'), ...opts });
  const bound = await server.start();
  cleanups.push(() => server.close());
  return { server, base: `http://${bound}`, ws: `ws://${bound}/rpc`, engine: e };
}

describe('API server: /rpc', () => {
  it('binds port 0 and answers /healthz without a token', async () => {
    const { base } = await serve();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(base).not.toMatch(/:0$/);
    const res = await fetch(`${base}/healthz`, { headers: { connection: 'close' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('refuses the upgrade without a token, with a wrong one and from a foreign origin', async () => {
    const { base } = await serve({ allowOrigins: ['https://admin.example.com'] });
    const none = await tryUpgrade(`${base}/rpc`);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('E_AUTH_REQUIRED');
    expect(none.headers['www-authenticate']).toBe('Bearer');

    const wrong = await tryUpgrade(`${base}/rpc?token=nope`);
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
    const wrongBearer = await tryUpgrade(`${base}/rpc`, { authorization: `Bearer ${TOKEN}x` });
    expect(wrongBearer.body.error.code).toBe('E_AUTH_FAILED');

    const foreign = await tryUpgrade(`${base}/rpc?token=${TOKEN}`, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ error: { code: 'E_AUTH_FAILED', message: 'origin http://evil.example not allowed' } });
    // Same host, other port: still another origin.
    const port = Number(new URL(base).port);
    const otherPort = await tryUpgrade(`${base}/rpc?token=${TOKEN}`, { origin: `http://127.0.0.1:${port + 1}` });
    expect(otherPort.status).toBe(403);

    expect((await tryUpgrade(`${base}/rpc?token=${TOKEN}`)).status).toBe(101);
    expect((await tryUpgrade(`${base}/rpc`, { authorization: `bearer ${TOKEN}` })).status).toBe(101);
    expect((await tryUpgrade(`${base}/rpc?token=${TOKEN}`, { origin: base })).status).toBe(101);
    expect((await tryUpgrade(`${base}/rpc?token=${TOKEN}`, { origin: 'https://admin.example.com' })).status).toBe(101);
  });

  it('serves the CoreApi and pushes events to an authenticated socket', async () => {
    const { ws, engine: e } = await serve();
    const client = await connectWs(ws, { token: TOKEN, origin: ws.replace(/^ws:/, 'http:').replace(/\/rpc$/, '') });
    cleanups.push(() => client.close());
    const info = await client.rpc.api.getInfo();
    expect(info).toMatchObject({ pid: process.pid, dataDir: e.getInfo().dataDir });

    const seen: Instance[] = [];
    client.rpc.on('instance', (i) => seen.push(i));
    await waitFor(() => true);
    const created = await client.rpc.api.createInstance({ name: 'p', spec: { type: 'mixed', listen: '127.0.0.1:0' } });
    expect(created.state).toBe('running');
    expect((await client.rpc.api.listInstances()).map((i) => [i.name, i.state])).toEqual([['p', 'running']]);
    await waitFor(() => seen.some((i) => i.id === created.id && i.state === 'running'), 2000, 'instance event');

    const bad = await client.rpc.api.createInstance({ name: 'q', spec: { type: 'mixed', listen: 'nope' } }).catch((err) => err);
    expect(bad.code).toBe('E_CONFIG_INVALID');
    expect(bad.message).toContain('spec.listen: expected host:port');
  });

  it('closes a socket that sends a message over 1 MiB', async () => {
    const { ws } = await serve();
    const client = await connectWs(ws, { token: TOKEN });
    cleanups.push(() => client.close());
    client.ws.send('x'.repeat((1 << 20) + 1));
    expect(await client.closed).toBe(1009);
  });

  it('close() ends open sockets with 1001 and stops listening', async () => {
    const { server, ws, base } = await serve();
    const client = await connectWs(ws, { token: TOKEN });
    cleanups.push(() => client.close());
    await server.close();
    expect(await client.closed).toBe(1001);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    await server.close();
  });

  it('reports a taken address as E_LISTEN_ADDRINUSE', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const addr = `127.0.0.1:${(blocker.address() as AddressInfo).port}`;
    const e = await engine();
    const server = createApiServer({ engine: e, listen: addr, token: TOKEN, log: new LogBus().logger('api') });
    const err = await server.start().catch((x) => x);
    expect(err.code).toBe('E_LISTEN_ADDRINUSE');
    expect(err.message).toContain(addr);
  });
});

describe('API server: dashboard', () => {
  function dashboard(): string {
    const dir = mkdtempSync(join(tmpdir(), 'relaydesk-dash-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>RelayDesk</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, '.secret'), 'no');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  const get = (url: string) => fetch(url, { headers: { connection: 'close' } });

  it('serves files with security headers and falls back to index.html for page routes', async () => {
    const { base } = await serve({ staticDir: dashboard() });
    const index = await get(`${base}/?token=${TOKEN}`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>RelayDesk</title>');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("connect-src 'self' ws: wss:");
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');

    const js = await get(`${base}/assets/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');

    const page = await get(`${base}/instances/abc`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);

    for (const path of ['/assets/missing.js', '/api/nope', '/.secret']) {
      const res = await get(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect((await res.json()).error.code).toBe('E_NOT_FOUND');
    }
    // Under the NodePass master API's prefix, a miss is answered as NodePass (Go's mux) does.
    const np = await get(`${base}/api/v1/nope`);
    expect(np.status).toBe(404);
    expect(await np.text()).toBe('404 page not found\n');
    const post = await fetch(`${base}/instances`, { method: 'POST', headers: { connection: 'close' } });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ error: { code: 'E_NOT_FOUND', message: 'POST /instances not found' } });
    expect((await get(`${base}/healthz`)).status).toBe(200);
  });

  it('without a built dashboard, says so on /', async () => {
    const { base } = await serve();
    const res = await get(`${base}/`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toContain('not built');
  });
});
