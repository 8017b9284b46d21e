import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSelfSigned } from '../../common/self-signed';
import { guardedCleanup } from '../../test/guarded-cleanup';
import { canConnect, curl, freePort, helloServer, npUrl, tunnelCtx, udpEcho, udpRoundTrip, waitFor } from '../../test/nodepass-rt-rig';
import { createDualEndClient, type DualClientOptions } from './client-dual';
import { createNodePassServer } from './server';
import type { NodePassRunner } from './types';

const cleanup = guardedCleanup(2000);

async function serverEnd(text: string): Promise<NodePassRunner> {
  const ctx = tunnelCtx('srv');
  const r = createNodePassServer(npUrl(text), ctx, { pingMs: 200 });
  cleanup.push(() => ctx.relay.closeAll('end'), () => r.close());
  await r.start();
  return r;
}

async function clientEnd(text: string, opts: DualClientOptions = {}): Promise<NodePassRunner> {
  const ctx = tunnelCtx('cli');
  const r = createDualEndClient(npUrl(text), ctx, { pingMs: 200, retryMs: 200, ...opts });
  cleanup.push(() => ctx.relay.closeAll('end'), () => r.close());
  await r.start();
  return r;
}

async function reverse(query: string, opts: DualClientOptions = {}) {
  const web = await helloServer('client side');
  cleanup.push(() => web.close());
  const [tunnel, pub] = [await freePort(), await freePort()];
  const server = await serverEnd(`server://127.0.0.1:${tunnel}/127.0.0.1:${pub}?mode=1&${query}`);
  const client = await clientEnd(`client://127.0.0.1:${tunnel}/127.0.0.1:${web.port}?mode=2&min=4&${query.includes('sni') ? query : ''}`, opts);
  await waitFor(() => canConnect(pub), 'the server to listen for users');
  return { server, client, tunnel, pub };
}

describe('dual-end tunnel (server:// + client:// mode 2)', () => {
  it('reverse flow: exposes a client-side HTTP server at the server (curl), with pool and ping', async () => {
    const { server, client, pub } = await reverse('');
    expect(await curl(pub)).toBe('hello from client side');
    expect(await curl(pub)).toBe('hello from client side');
    expect(server.metrics().mode).toBe(1);
    await waitFor(() => client.poolStats().created >= 4 && server.poolStats().hits >= 2, 'pool figures');
    await waitFor(() => client.metrics().pool >= 1, 'a refilled pool');
  });

  it('forward flow: the client listens, the server dials its target', async () => {
    const web = await helloServer('server side');
    cleanup.push(() => web.close());
    const [tunnel, local] = [await freePort(), await freePort()];
    const server = await serverEnd(`server://127.0.0.1:${tunnel}/127.0.0.1:${web.port}?mode=2`);
    const client = await clientEnd(`client://127.0.0.1:${tunnel}/127.0.0.1:${local}?mode=2&min=2`);
    await waitFor(() => canConnect(local), 'the client to listen');
    expect(await curl(local)).toBe('hello from server side');
    expect(server.metrics().mode).toBe(2);
    expect(client.metrics().mode).toBe(2);
  });

  it('tls=1: in-memory certificate, verify exchange, data flows', async () => {
    const { pub } = await reverse('tls=1');
    expect(await curl(pub)).toBe('hello from client side');
  });

  it('tls=2: crt/key files, verified by the client against sni', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-tls-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const cert = generateSelfSigned({ names: ['localhost'] });
    writeFileSync(join(dir, 'c.pem'), cert.cert);
    writeFileSync(join(dir, 'k.pem'), cert.key);
    const { pub } = await reverse(`tls=2&crt=${join(dir, 'c.pem')}&key=${join(dir, 'k.pem')}&sni=localhost`, { ca: cert.cert });
    expect(await curl(pub)).toBe('hello from client side');
  });

  it('carries UDP through the tunnel (2-byte length frames)', async () => {
    const echo = await udpEcho();
    cleanup.push(() => echo.close());
    const [tunnel, pub] = [await freePort(), await freePort()];
    const server = await serverEnd(`server://127.0.0.1:${tunnel}/127.0.0.1:${pub}?mode=1`);
    await clientEnd(`client://127.0.0.1:${tunnel}/127.0.0.1:${echo.port}?mode=2&min=2`);
    await waitFor(() => canConnect(pub), 'the server to listen');
    expect((await udpRoundTrip(pub, Buffer.from('dgram-1'))).toString()).toBe('dgram-1');
    expect((await udpRoundTrip(pub, Buffer.alloc(3000, 9))).equals(Buffer.alloc(3000, 9))).toBe(true);
    expect(server.metrics().udps).toBe(2);
  });

  it('refuses a wrong key (401), other methods (405) and paths (404)', async () => {
    const tunnel = await freePort();
    const pub = await freePort();
    await serverEnd(`server://right@127.0.0.1:${tunnel}/127.0.0.1:${pub}?mode=1`);
    const ctx = tunnelCtx('cli');
    const bad = createDualEndClient(npUrl(`client://wrong@127.0.0.1:${tunnel}/127.0.0.1:1?mode=2`), ctx);
    cleanup.push(() => bad.close());
    await expect(bad.start()).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
    expect((await fetch(`http://127.0.0.1:${tunnel}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${tunnel}/x`)).status).toBe(404);
  });

  it('the client reconnects after the server restarts', async () => {
    const web = await helloServer('client side');
    cleanup.push(() => web.close());
    const [tunnel, pub] = [await freePort(), await freePort()];
    const text = `server://127.0.0.1:${tunnel}/127.0.0.1:${pub}?mode=1`;
    const first = await serverEnd(text);
    const client = await clientEnd(`client://127.0.0.1:${tunnel}/127.0.0.1:${web.port}?mode=2&min=2`);
    await waitFor(() => canConnect(pub), 'the first server to listen');
    expect(await curl(pub)).toBe('hello from client side');
    await first.close();
    await serverEnd(text);
    await waitFor(() => canConnect(pub), 'the client to come back', 8000);
    expect(await curl(pub)).toBe('hello from client side');
    expect(client.poolStats().created).toBeGreaterThan(2);
  });
});
