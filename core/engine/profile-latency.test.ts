import { readFileSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Latency, Profile } from '../rpc';
import { waitFor } from '../test/engine-harness';
import { closedPort, fixture } from '../test/mixed-harness';
import { cleanupList, profileEngine, startTextServer } from '../test/profiles-harness';

const cleanups = cleanupList();
afterEach(() => cleanups.run());

/** A TCP server that accepts and then does `onConn` (nothing: it stalls). */
async function rawServer(onConn: (s: Socket) => void = () => undefined): Promise<number> {
  const sockets = new Set<Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.add(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return (server.address() as AddressInfo).port;
}

describe('testProfile over the RPC', () => {
  it('measures the TCP connect and an HTTP request through a socks profile, stores and announces it', async () => {
    const upstream = await profileEngine(cleanups);
    const up = await upstream.client.api.createInstance({ name: 'upstream', spec: { type: 'mixed', listen: '127.0.0.1:0' } });
    const target = await startTextServer({ '/generate_204': '' });
    cleanups.add(() => target.close());
    const h = await profileEngine(cleanups);
    const p = await h.client.api.createProfile({ name: 'up', spec: { type: 'socks', host: '127.0.0.1', port: Number(up.address!.split(':')[1]) } });
    const seen: Profile[] = [];
    h.client.on('profile', (x) => seen.push(x));

    const before = Date.now();
    const latency: Latency = await h.client.api.testProfile({ id: p.id, url: `${target.url}/generate_204` });
    expect(latency.error).toBeNull();
    expect(latency.connectMs).toBeGreaterThanOrEqual(0);
    expect(latency.httpMs).toBeGreaterThanOrEqual(0);
    expect(latency.testedAt).toBeGreaterThanOrEqual(before);
    expect(target.hits.get('/generate_204')).toBe(1);
    // The request went through the upstream proxy.
    await waitFor(async () => ((await upstream.client.api.getStats()).instances[up.id]?.totalUp ?? 0) > 0, 3000, 'upstream traffic');
    await waitFor(() => seen.length === 1, 2000, 'profile event');
    expect(seen[0]!.latency).toEqual(latency);
    expect((await h.client.api.listProfiles())[0]).toMatchObject({ latency, updatedAt: p.updatedAt });

    await h.close({ keepDir: true });
    const again = await profileEngine(cleanups, { dataDir: h.dataDir });
    expect((await again.client.api.listProfiles())[0]!.latency).toEqual(latency);
  });

  it('never throws for a dead, stalled or wrong server: the failed steps are null and error says why', async () => {
    const h = await profileEngine(cleanups);
    const deadPort = await closedPort();
    const dead = await h.client.api.createProfile({ name: 'dead', spec: { type: 'socks', host: '127.0.0.1', port: deadPort } });
    const r1 = await h.client.api.testProfile({ id: dead.id, url: 'http://127.0.0.1:9/' });
    expect(r1).toMatchObject({ connectMs: null, httpMs: null, error: { code: 'E_DIAL_REFUSED', message: `TCP connect to 127.0.0.1:${deadPort}: connect 127.0.0.1:${deadPort} refused` } });

    const stalledPort = await rawServer();
    const stalled = await h.client.api.createProfile({ name: 'stalled', spec: { type: 'socks', host: '127.0.0.1', port: stalledPort } });
    const t0 = Date.now();
    const r2 = await h.client.api.testProfile({ id: stalled.id, url: 'http://127.0.0.1:9/', timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r2.connectMs).toBeGreaterThanOrEqual(0);
    expect(r2).toMatchObject({ httpMs: null, error: { code: 'E_DIAL_TIMEOUT', message: 'HTTP request through the profile: no answer within 300 ms' } });
    expect((await h.client.api.listProfiles()).find((p) => p.id === stalled.id)!.latency).toEqual(r2);

    const upstream = await profileEngine(cleanups);
    const up = await upstream.client.api.createInstance({ name: 'upstream', spec: { type: 'mixed', listen: '127.0.0.1:0' } });
    const good = await h.client.api.createProfile({ name: 'good', spec: { type: 'socks', host: '127.0.0.1', port: Number(up.address!.split(':')[1]) } });
    const refusedPort = await closedPort();
    const r3 = await h.client.api.testProfile({ id: good.id, url: `http://127.0.0.1:${refusedPort}/` });
    expect(r3.connectMs).toBeGreaterThanOrEqual(0);
    expect(r3).toMatchObject({ httpMs: null, error: { code: 'E_DIAL_REFUSED' } });
    expect(r3.error!.message).toContain('connection refused (reply 0x05)');

    const notHttp = await rawServer((s) => s.end('SSH-2.0-OpenSSH\r\n'));
    const r4 = await h.client.api.testProfile({ id: good.id, url: `http://127.0.0.1:${notHttp}/` });
    expect(r4.error).toEqual({ code: 'E_PROTO_BAD_HANDSHAKE', message: `HTTP request through the profile: the answer from 127.0.0.1:${notHttp} is not HTTP` });

    // https: TLS runs over the dialed stream, with the certificate verified.
    const tlsServer = https.createServer({ key: readFileSync(fixture('mixed-tls-key.pem')), cert: readFileSync(fixture('mixed-tls-cert.pem')) }, (_q, res) => res.end());
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    cleanups.add(() => new Promise<void>((r) => { tlsServer.closeAllConnections(); tlsServer.close(() => r()); }));
    const r5 = await h.client.api.testProfile({ id: good.id, url: `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/` });
    expect(r5.httpMs).toBeNull();
    expect(r5.error).toMatchObject({ code: 'E_DIAL_FAILED', message: expect.stringMatching(/TLS with 127\.0\.0\.1: .*certificate/i) });

    expect((await h.client.api.testProfile({ id: 'nope' }).catch((e) => e)).code).toBe('E_NOT_FOUND');
  });
});
