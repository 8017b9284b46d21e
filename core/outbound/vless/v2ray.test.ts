import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LogBus } from '../../log/logger';
import { nativeAvailable } from '../../route/splice';
import { VlessProfileSpec } from '../../rpc';
import { curl, fixture, payload, sha256, startMixed, startOrigin, startUdpEcho, type MixedRig, type Target } from '../../test/mixed-harness';
import { leakGuard } from '../../test/route-rig';
import { startV2ray, V2RAY_UUID, V2RAY_WS_PATH, type V2ray, type V2rayPorts } from '../../test/v2ray-harness';
import { runExchange, socks5Connect, socks5UdpAssociate, startExchangeTarget } from '../../test/vless-out-rig';
import { createVlessOutbound, VlessTcpSocket } from './index';
import { handovers } from '../../test/splice-recorder';

// curl → mixed inbound (real router + relay) → this outbound → Debian's v2ray 4.34 → loopback targets.

// The real splice relay, recorded: which remotes it took over.
vi.mock('../../route/splice', async (importOriginal) => (await import('../../test/splice-recorder')).recordingSplice(await importOriginal()));

const PIN = `sha256:${sha256(new X509Certificate(readFileSync(fixture('mixed-tls-cert.pem'))).raw)}`;
const ROUTE = { mode: 'global', globalOutbound: 'vless', lanBypass: false };

const variants: { name: string; spec(p: V2rayPorts): object }[] = [
  { name: 'tcp', spec: (p) => ({ port: p.tcp }) },
  { name: 'tls', spec: (p) => ({ port: p.tls, tls: { sni: 'localhost', insecure: true, pinSha256: PIN, alpn: ['http/1.1'] } }) },
  { name: 'ws', spec: (p) => ({ port: p.ws, transport: { type: 'ws', path: V2RAY_WS_PATH, host: 'cdn.example.test' } }) },
  { name: 'ws+tls', spec: (p) => ({ port: p.wss, transport: { type: 'ws', path: V2RAY_WS_PATH }, tls: { sni: 'localhost', insecure: true, pinSha256: PIN } }) },
];

let v2ray: V2ray;
let origin: Target;
let guard: ReturnType<typeof leakGuard>;
let rigs: MixedRig[] = [];
let bigFile: { dir: string; path: string; hash: string };

beforeAll(async () => {
  v2ray = await startV2ray();
  origin = await startOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'relaydesk-vless-up-'));
  const body = payload(3 * 1024 * 1024 + 7);
  writeFileSync(join(dir, 'up.bin'), body);
  bigFile = { dir, path: join(dir, 'up.bin'), hash: sha256(body) };
});
afterAll(async () => {
  await origin?.close();
  await v2ray?.close();
  if (bigFile) rmSync(bigFile.dir, { recursive: true, force: true });
});
beforeEach(() => {
  // v2ray keeps its side of a finished connection (to the origin, in this process) for its
  // uplinkOnly/downlinkOnly second before closing it: wait past that.
  guard = leakGuard(2500);
  rigs = [];
  handovers.length = 0;
});
afterEach(async () => {
  for (const r of rigs) await r.close();
  await guard.check();
});

async function proxyFor(specInput: object): Promise<{ rig: MixedRig; logs: LogBus }> {
  const logs = new LogBus({ level: 'debug' });
  const spec = VlessProfileSpec.parse({ type: 'vless', host: '127.0.0.1', uuid: V2RAY_UUID, ...specInput });
  const outbound = createVlessOutbound('vless', spec, { log: logs.logger('vless'), connectTimeoutMs: 5000 });
  const rig = await startMixed({}, ROUTE, [outbound]);
  rigs.push(rig);
  return { rig, logs };
}

const messages = (logs: LogBus) => logs.entries({ limit: 1000, level: 'debug' }).map((e) => e.message).join('\n');

describe.each(variants)('VLESS over $name to v2ray 4.34', ({ name, spec }) => {
  it('downloads a multi-megabyte body intact through SOCKS5 and the HTTP proxy', async () => {
    const { rig } = await proxyFor(spec(v2ray.ports));
    const n = 4 * 1024 * 1024 + 3;
    const url = `http://127.0.0.1:${origin.port}/big?n=${n}`;
    const viaSocks = await curl(['--socks5-hostname', rig.address, url]);
    expect(viaSocks.stderr).toBe('');
    expect(viaSocks.stdout.length).toBe(n);
    expect(sha256(viaSocks.stdout)).toBe(sha256(payload(n)));
    const viaHttp = await curl(['-x', `http://${rig.address}`, url]);
    expect(viaHttp.code).toBe(0);
    expect(sha256(viaHttp.stdout)).toBe(sha256(payload(n)));
  });

  it('uploads a multi-megabyte POST body intact', async () => {
    const { rig } = await proxyFor(spec(v2ray.ports));
    const up = await curl(['--socks5-hostname', rig.address, '--data-binary', `@${bigFile.path}`, `http://127.0.0.1:${origin.port}/upload`]);
    expect(up.stderr).toBe('');
    expect(up.stdout.toString()).toBe(`${bigFile.hash} ${3 * 1024 * 1024 + 7}`);
  });

  it.each([true, false])('counts exactly the payload bytes both ways (no VLESS header bytes), native front %s', async (front) => {
    if (!front) process.env.RELAYDESK_NATIVE_FRONT = '0';
    const { rig } = await proxyFor(spec(v2ray.ports)).finally(() => delete process.env.RELAYDESK_NATIVE_FRONT);
    const target = await startExchangeTarget(2 * 1024 * 1024);
    try {
      const { reply, client } = await socks5Connect(rig.port, '127.0.0.1', target.port);
      expect(reply).toBe(0);
      const up = payload(1024 * 1024 + 1);
      const got = await runExchange(client, up, 2 * 1024 * 1024);
      expect(got.hash).toBe(sha256(up));
      expect(sha256(got.down)).toBe(sha256(payload(2 * 1024 * 1024)));
      client.socket.destroy();
      await rig.stats.waitClosed(1);
      const [conn] = rig.stats.closedConns;
      expect(rig.stats.finalSamples.get(conn!)).toEqual([4 + up.length, 64 + 2 * 1024 * 1024]);
      // Plain TCP: the native front dials the VLESS server itself (no VlessTcpSocket); the JS front
      // hands the VlessTcpSocket to splice(2) once the response header was stripped.
      const taken = handovers.some((h) => h.taken && h.remote instanceof VlessTcpSocket);
      expect(taken).toBe(name === 'tcp' && nativeAvailable() && !front);
    } finally {
      await target.close();
    }
  });

  it('relays UDP (SOCKS5 UDP ASSOCIATE → VLESS UDP) to two destinations', async () => {
    const { rig } = await proxyFor(spec(v2ray.ports));
    const echoA = await startUdpEcho();
    const echoB = await startUdpEcho();
    const client = await socks5UdpAssociate(rig.port);
    try {
      const a = { host: '127.0.0.1', port: echoA.port };
      const b = { host: '127.0.0.1', port: echoB.port };
      client.send(a, Buffer.from('ping-a'));
      expect(await client.next()).toEqual({ from: a, data: Buffer.from('echo:ping-a') });
      client.send(b, Buffer.from('ping-b'));
      expect(await client.next()).toEqual({ from: b, data: Buffer.from('echo:ping-b') });
      // v2ray 4.34 handles UDP payloads in 2 KiB buffers: bigger datagrams do not survive it.
      const big = payload(1400);
      client.send(a, big);
      const r = await client.next();
      expect(r.from).toEqual(a);
      expect(sha256(r.data)).toBe(sha256(Buffer.concat([Buffer.from('echo:'), big])));
    } finally {
      await client.close();
      await echoA.close();
      await echoB.close();
    }
  });
});

describe('VLESS to v2ray 4.34: destinations and failures', () => {
  it('sends domain destinations as domains (v2ray resolves them)', async () => {
    const { rig } = await proxyFor({ port: v2ray.ports.tcp });
    const r = await curl(['--socks5-hostname', rig.address, `http://localhost:${origin.port}/named`]);
    expect(r.stdout.toString()).toBe('hello /named');
  });

  it('a wrong UUID fails the client promptly (no hang) and says why', async () => {
    const { rig, logs } = await proxyFor({ port: v2ray.ports.tcp, uuid: '00000000-1234-1234-1234-123456789abc' });
    const started = Date.now();
    const socks = await curl(['--socks5-hostname', rig.address, `http://127.0.0.1:${origin.port}/x`], 10_000);
    expect(socks.code).not.toBe(0);
    expect(socks.stdout.length).toBe(0);
    const http = await curl(['-x', `http://${rig.address}`, '-w', '%{http_code}', `http://127.0.0.1:${origin.port}/x`], 10_000);
    expect(http.stdout.toString()).toMatch(/wrong UUID.*502$/s);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(messages(logs)).toMatch(/VLESS server closed the connection before replying — wrong UUID/);
    expect(origin.seen).not.toContain('GET /x');
  });

  it('refuses a server whose certificate does not match the pin, even when insecure', async () => {
    const { rig } = await proxyFor({ port: v2ray.ports.tls, tls: { insecure: true, pinSha256: `sha256:${'ab'.repeat(32)}` } });
    const { reply, client } = await socks5Connect(rig.port, '127.0.0.1', origin.port);
    client.socket.destroy();
    expect(reply).not.toBe(0);
    // The native front answers the client before its log line is written: wait for the line.
    await vi.waitFor(() => expect(messages(rig.logs)).toMatch(/certificate pin mismatch/), { timeout: 2000 });
    expect(messages(rig.logs)).toMatch(/vless vless → 127\.0\.0\.1:\d+: certificate pin mismatch for 127\.0\.0\.1:\d+: the server presented sha256:[0-9a-f]{64}, expected sha256:(ab){32} \(E_DIAL_FAILED\)/);
    expect(messages(rig.logs)).toContain(PIN);
  });

  it('refuses a self-signed certificate unless insecure', async () => {
    const { rig } = await proxyFor({ port: v2ray.ports.tls, tls: { sni: 'localhost' } });
    const { reply, client } = await socks5Connect(rig.port, '127.0.0.1', origin.port);
    client.socket.destroy();
    expect(reply).not.toBe(0);
    await vi.waitFor(() => expect(messages(rig.logs)).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed: self-signed certificate/), { timeout: 2000 });
  });

  it('reports a WebSocket path the server does not serve', async () => {
    const { rig } = await proxyFor({ port: v2ray.ports.ws, transport: { type: 'ws', path: '/nope' } });
    const { reply, client } = await socks5Connect(rig.port, '127.0.0.1', origin.port);
    client.socket.destroy();
    expect(reply).not.toBe(0);
    await vi.waitFor(() => expect(messages(rig.logs)).toMatch(/WebSocket upgrade of ws:\/\/127\.0\.0\.1:\d+\/nope refused: HTTP 404/), { timeout: 2000 });
  });
});
