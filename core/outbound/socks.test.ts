import net, { type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Destination } from '../adapter';
import { LogBus } from '../log/logger';
import { SocksProfileSpec, isCoreError } from '../rpc';
import { closedPort, curl, payload, sha256, startMixed, startOrigin, startUdpEcho, type MixedRig, type Target } from '../test/mixed-harness';
import { closeServer, drain, leakGuard, listen, testMeta } from '../test/route-rig';
import { createSocksOutbound } from './socks';

const logs = new LogBus({ level: 'debug' });
const log = logs.logger('socks');
const cleanups: Array<() => Promise<void> | void> = [];
let guard: ReturnType<typeof leakGuard>;
beforeEach(() => { guard = leakGuard(); });
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await guard.check();
});

async function mixed(...args: Parameters<typeof startMixed>): Promise<MixedRig> {
  const rig = await startMixed(...args);
  cleanups.push(() => rig.close());
  return rig;
}
async function origin(): Promise<Target> {
  const t = await startOrigin();
  cleanups.push(() => t.close());
  return t;
}
const spec = (port: number, over: Partial<SocksProfileSpec> = {}) => SocksProfileSpec.parse({ type: 'socks', host: '127.0.0.1', port, ...over });

/** GET `path` over an already connected socket (Connection: close); resolves with the body. */
async function httpGet(socket: Socket, host: string, path: string): Promise<Buffer> {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const { data } = await drainAll(socket);
  socket.destroy();
  const sep = data.indexOf('\r\n\r\n');
  expect(data.subarray(0, 12).toString()).toBe('HTTP/1.1 200');
  return data.subarray(sep + 4);
}

function drainAll(socket: Socket): Promise<{ data: Buffer }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve({ data: Buffer.concat(chunks) }));
    socket.once('error', reject);
    socket.resume();
  });
}

/** A fake SOCKS5 server: records what the client sent and answers with `answer(bytesSoFar)`. */
async function fakeServer(answer: (seen: Buffer, socket: Socket) => void): Promise<{ port: number; seen: () => Buffer; close(): Promise<void> }> {
  let seen = Buffer.alloc(0);
  const sockets = new Set<Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      seen = Buffer.concat([seen, c]);
      answer(seen, s);
    });
  });
  const port = await listen(server);
  const close = async () => {
    for (const s of sockets) s.destroy();
    await closeServer(server);
  };
  cleanups.push(close);
  return { port, seen: () => seen, close };
}

describe('SOCKS5 outbound: CONNECT through a real RelayDesk mixed inbound', () => {
  it('relays bytes intact to IPv4, domain and IPv6 destinations and hands back a raw paused socket', async () => {
    const up = await mixed();
    const target = await origin();
    const out = createSocksOutbound('p1', spec(up.port), { log });
    expect(out).toMatchObject({ tag: 'p1', type: 'socks' });
    const socket = await out.dialTcp(testMeta({ host: '127.0.0.1', port: target.port }));
    expect(socket).toBeInstanceOf(net.Socket);
    expect(socket.readableFlowing).toBe(false);
    expect(socket.readableLength).toBe(0);
    expect(socket.allowHalfOpen).toBe(true);
    const body = await httpGet(socket, 'x', '/big?n=1000000');
    expect(sha256(body)).toBe(sha256(payload(1_000_000)));

    const byName = await out.dialTcp(testMeta({ host: 'localhost', port: target.port }));
    expect((await httpGet(byName, 'localhost', '/named')).toString()).toBe('hello /named');
    expect(target.seen).toContain('GET /named');
    expect(up.stats.openedConns.map((c) => c.meta.destination.host)).toEqual(['127.0.0.1', 'localhost']);
  });

  it('reaches an IPv6 destination when the machine has ::1', async () => {
    const v6 = net.createServer((s) => s.end('six'));
    try {
      await listen(v6, '::1');
    } catch {
      return;
    }
    cleanups.push(() => closeServer(v6));
    const up = await mixed();
    const socket = await createSocksOutbound('p', spec(up.port), { log }).dialTcp(testMeta({ host: '::1', port: (v6.address() as net.AddressInfo).port }));
    expect((await drain(socket)).data.toString()).toBe('six');
    socket.destroy();
  });

  it('authenticates with RFC 1929 and maps auth failures to E_AUTH_*', async () => {
    const up = await mixed({ users: [{ username: 'alice', password: 's3cret' }] });
    const target = await origin();
    const dst = testMeta({ host: '127.0.0.1', port: target.port });
    const ok = await createSocksOutbound('p', spec(up.port, { username: 'alice', password: 's3cret' }), { log }).dialTcp(dst);
    expect((await httpGet(ok, 'x', '/auth')).toString()).toBe('hello /auth');
    expect(up.stats.openedConns[0]?.meta.user).toBe('alice');

    const wrong = await createSocksOutbound('p', spec(up.port, { username: 'alice', password: 'nope' }), { log }).dialTcp(dst).catch((e) => e);
    expect(isCoreError(wrong, 'E_AUTH_FAILED')).toBe(true);
    expect(wrong.message).toBe(`connect 127.0.0.1:${target.port} via SOCKS5 127.0.0.1:${up.port}: username/password rejected`);
    const none = await createSocksOutbound('p', spec(up.port), { log }).dialTcp(dst).catch((e) => e);
    expect(isCoreError(none, 'E_AUTH_REQUIRED')).toBe(true);
  });

  it('maps the upstream reply codes of a real server: blocked → E_DIAL_FAILED, refused → E_DIAL_REFUSED', async () => {
    const up = await mixed({}, { mode: 'rule', lanBypass: false, rules: [{ type: 'domain', value: 'blocked.test', outbound: 'block' }] });
    const out = createSocksOutbound('p', spec(up.port), { log });
    const blocked = await out.dialTcp(testMeta({ host: 'blocked.test', port: 80 })).catch((e) => e);
    expect(isCoreError(blocked, 'E_DIAL_FAILED')).toBe(true);
    expect(blocked.message).toContain('upstream refused by ruleset (reply 0x02)');
    const port = await closedPort();
    const refused = await out.dialTcp(testMeta({ host: '127.0.0.1', port })).catch((e) => e);
    expect(isCoreError(refused, 'E_DIAL_REFUSED')).toBe(true);
    expect(refused.message).toBe(`connect 127.0.0.1:${port} via SOCKS5 127.0.0.1:${up.port}: connection refused (reply 0x05)`);
  });

  it('chains curl → mixed (global → socks profile) → mixed with auth (direct) → target, bytes hashed', async () => {
    const second = await mixed({ users: [{ username: 'u', password: 'p' }] });
    const out = createSocksOutbound('chain', spec(second.port, { username: 'u', password: 'p' }), { log });
    const first = await mixed({}, { mode: 'global', globalOutbound: 'chain', lanBypass: false }, [out]);
    const target = await origin();
    const n = 4 << 20;
    const r = await curl(['--socks5-hostname', first.address, `http://127.0.0.1:${target.port}/big?n=${n}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(payload(n)));
    const viaHttp = await curl(['-x', `http://${first.address}`, `http://127.0.0.1:${target.port}/big?n=1000`]);
    expect(sha256(viaHttp.stdout)).toBe(sha256(payload(1000)));
    expect(first.stats.openedConns.map((c) => c.outbound)).toEqual(['chain', 'chain']);
    expect(second.stats.openedConns.map((c) => [c.outbound, c.meta.user])).toEqual([['direct', 'u'], ['direct', 'u']]);
  });
});

describe('SOCKS5 outbound: against byte-level fake servers', () => {
  it('pipelines greeting and request without credentials and keeps bytes sent right after the reply', async () => {
    const fake = await fakeServer((seen, s) => {
      if (seen.length === 3 + 5 + 11 + 2) s.write(Buffer.concat([Buffer.from([5, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('banner')]));
    });
    const socket = await createSocksOutbound('p', spec(fake.port), { log }).dialTcp(testMeta({ host: 'example.com', port: 25 }));
    expect(fake.seen()).toEqual(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, 11]), Buffer.from('example.com'), Buffer.from([0, 25])]));
    const got = await new Promise<string>((resolve) => {
      socket.once('data', (c: Buffer) => resolve(c.toString()));
      socket.resume();
    });
    expect(got).toBe('banner');
    socket.destroy();
  });

  it.each([
    [0x01, 'E_DIAL_FAILED'], [0x03, 'E_DIAL_NETWORK'], [0x04, 'E_DIAL_UNREACHABLE'], [0x06, 'E_DIAL_TIMEOUT'],
    [0x07, 'E_PROTO_UNSUPPORTED'], [0x08, 'E_PROTO_UNSUPPORTED'], [0x42, 'E_DIAL_FAILED'],
  ])('reply code %i → %s', async (rep, code) => {
    const fake = await fakeServer((seen, s) => {
      if (seen.length >= 3 + 10) s.write(Buffer.from([5, 0, 5, rep, 0, 1, 0, 0, 0, 0, 0, 0]));
    });
    const err = await createSocksOutbound('p', spec(fake.port), { log }).dialTcp(testMeta({ host: '10.0.0.1', port: 80 })).catch((e) => e);
    expect(err.code).toBe(code);
    expect(err.message).toContain(`(reply 0x${rep.toString(16).padStart(2, '0')})`);
  });

  it('rejects servers that are not SOCKS5, close early, stall, or are not there', async () => {
    const dst = testMeta({ host: '10.0.0.1', port: 80 });
    const http = await fakeServer((_seen, s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const notSocks = await createSocksOutbound('p', spec(http.port), { log }).dialTcp(dst).catch((e) => e);
    expect(notSocks.code).toBe('E_PROTO_BAD_HANDSHAKE');
    expect(notSocks.message).toContain('version 0x48 is not SOCKS5');

    const closer = await fakeServer((_seen, s) => s.end());
    expect((await createSocksOutbound('p', spec(closer.port), { log }).dialTcp(dst).catch((e) => e)).message)
      .toContain('closed the connection during the handshake');

    const silent = await fakeServer(() => undefined);
    const stalled = await createSocksOutbound('p', spec(silent.port), { log, connectTimeoutMs: 200 }).dialTcp(dst).catch((e) => e);
    expect(stalled.code).toBe('E_DIAL_TIMEOUT');
    expect(stalled.message).toContain('handshake timed out after 200 ms');

    const port = await closedPort();
    const absent = await createSocksOutbound('p', spec(port), { log }).dialTcp(dst).catch((e) => e);
    expect(absent.code).toBe('E_DIAL_REFUSED');
    expect(absent.message).toBe(`connect 10.0.0.1:80 via SOCKS5 127.0.0.1:${port}: cannot reach the SOCKS5 server (connect 127.0.0.1:${port} refused)`);

    const abort = new AbortController();
    const pending = createSocksOutbound('p', spec(silent.port), { log }).dialTcp(dst, abort.signal).catch((e) => e);
    setTimeout(() => abort.abort(new Error('client went away')), 20);
    expect((await pending).message).toContain('aborted');
  });
});

describe('SOCKS5 outbound: UDP ASSOCIATE', () => {
  it('carries datagrams both ways through a real mixed inbound and ends with close()', async () => {
    const up = await mixed();
    const echo = await startUdpEcho();
    cleanups.push(() => echo.close());
    const out = createSocksOutbound('p', spec(up.port), { log });
    const conn = await out.openUdp(testMeta({ host: '127.0.0.1', port: echo.port }, { network: 'udp' }));
    const replies: Array<[string, Destination]> = [];
    conn.onMessage((p, from) => replies.push([p.toString(), from]));
    const deadline = Date.now() + 3000;
    for (let i = 0; replies.length < 2 && Date.now() < deadline; i++) {
      if (i % 10 === 0) conn.send(Buffer.from(`ping${replies.length}`), { host: '127.0.0.1', port: echo.port });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(replies[0]).toEqual(['echo:ping0', { host: '127.0.0.1', port: echo.port }]);
    expect(up.stats.openedConns.some((c) => c.meta.network === 'udp')).toBe(true);
    conn.close();
    conn.close();
  });

  it('refuses UDP when the profile turns it off', async () => {
    const err = await createSocksOutbound('p', spec(1, { udp: false }), { log }).openUdp(testMeta({ host: '127.0.0.1', port: 1 }, { network: 'udp' })).catch((e) => e);
    expect(err.code).toBe('E_PROTO_UNSUPPORTED');
  });
});
