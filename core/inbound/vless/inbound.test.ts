import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leakGuard } from '../../test/route-rig';
import {
  ALICE, BOB, cleanupVlessRigDirs, rawClient, relayUser, startEcho, startVlessRig, until, vlessHeader, type VlessRig,
} from '../../test/vless-in-harness';

let echo: Awaited<ReturnType<typeof startEcho>>;
const rigs: VlessRig[] = [];

beforeAll(async () => {
  echo = await startEcho();
});
afterAll(async () => {
  await echo.close();
  cleanupVlessRigDirs();
});
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function rig(spec: Record<string, unknown> = {}): Promise<VlessRig> {
  const r = await startVlessRig({ users: [relayUser('alice', ALICE), relayUser('bob', BOB)], ...spec });
  rigs.push(r);
  return r;
}

/** Sends a request + payload and expects `00 00` + the echoed payload. */
async function echoOnce(r: VlessRig, transport: { tls?: boolean; wsPath?: string } = {}, uuid = ALICE): Promise<void> {
  const c = await rawClient(r.port, transport);
  const payload = Buffer.from(`hello ${Math.random()}`);
  c.write(Buffer.concat([vlessHeader(uuid, echo.port), payload]));
  const got = await c.waitBytes(2 + payload.length);
  expect(got.subarray(0, 2)).toEqual(Buffer.from([0, 0]));
  expect(got.subarray(2).toString()).toBe(payload.toString());
  c.destroy();
  await c.closed;
}

const badCounts = (r: VlessRig) => r.collector.badHandshakeCounts();

describe('VLESS relay transports', () => {
  it('relays TCP over plain TCP, TLS (self-signed), WebSocket and WebSocket over TLS', async () => {
    const guard = leakGuard(2000);
    await echoOnce(await rig());
    await echoOnce(await rig({ tls: {} }), { tls: true });
    await echoOnce(await rig({ transport: { type: 'ws', path: '/v' } }), { wsPath: '/v' });
    await echoOnce(await rig({ transport: { type: 'ws', path: '/v' }, tls: { selfSignedNames: ['localhost', '127.0.0.1'] } }), { wsPath: '/v?ed=0', tls: true });
    for (const r of rigs.splice(0)) await r.close();
    await guard.check();
  });

  it('serves TLS with certificate files, and refuses to start with files it cannot read', async () => {
    const fixture = (n: string) => new URL(`../../test/fixtures/${n}`, import.meta.url).pathname;
    await echoOnce(await rig({ tls: { certFile: fixture('mixed-tls-cert.pem'), keyFile: fixture('mixed-tls-key.pem') } }), { tls: true });
    await expect(startVlessRig({ tls: { certFile: '/nonexistent/cert.pem', keyFile: fixture('mixed-tls-key.pem') } }))
      .rejects.toMatchObject({ code: 'E_CONFIG_INVALID', message: expect.stringContaining('/nonexistent/cert.pem') });
    await expect(startVlessRig({ tls: { certFile: fixture('mixed-tls-key.pem'), keyFile: fixture('mixed-tls-key.pem') } }))
      .rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });

  it('answers 404 to plain HTTP and to WebSocket upgrades on another path', async () => {
    const r = await rig({ transport: { type: 'ws', path: '/v' } });
    const res = await fetch(`http://127.0.0.1:${r.port}/v`);
    expect(res.status).toBe(404);
    await res.text();
    await expect(rawClient(r.port, { wsPath: '/other' })).rejects.toThrow(/404/);
  });

  it('accepts a header that arrives one byte at a time, and the payload with it', async () => {
    const r = await rig();
    const c = await rawClient(r.port);
    const msg = Buffer.concat([vlessHeader(BOB, echo.port, { address: { type: 'domain', host: 'localhost' } }), Buffer.from('piecewise')]);
    for (const b of msg) {
      c.socket!.write(Buffer.from([b]));
      await new Promise((res) => setTimeout(res, 2));
    }
    const got = await c.waitBytes(2 + 9);
    expect(got.subarray(2).toString()).toBe('piecewise');
    c.destroy();
  });
});

describe('VLESS relay handshakes', () => {
  async function rejected(r: VlessRig, bytes: Buffer, opts: { end?: boolean } = {}): Promise<Buffer> {
    const c = await rawClient(r.port);
    c.write(bytes);
    if (opts.end) c.end();
    await c.closed;
    return c.received();
  }

  it('closes unknown UUIDs, bad versions, commands and addresses without a response, counted by class', async () => {
    const r = await rig({ fallback: 'none' });
    const stranger = '11111111-2222-3333-4444-555555555555';
    expect(await rejected(r, vlessHeader(stranger, echo.port))).toHaveLength(0);
    const v1 = vlessHeader(ALICE, echo.port);
    v1[0] = 1;
    expect(await rejected(r, v1)).toHaveLength(0);
    const cmd = vlessHeader(ALICE, echo.port);
    cmd[18] = 9;
    expect(await rejected(r, cmd)).toHaveLength(0);
    const addr = vlessHeader(ALICE, echo.port);
    addr[21] = 7;
    expect(await rejected(r, addr)).toHaveLength(0);
    expect(await rejected(r, vlessHeader(ALICE, echo.port).subarray(0, 20), { end: true })).toHaveLength(0);
    expect(await rejected(r, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toHaveLength(0);
    expect(badCounts(r)).toEqual({ 'vless-uuid': 1, 'vless-version': 2, 'vless-command': 1, 'vless-address': 1, 'vless-truncated': 1 });
    const debug = r.lines('debug').join('\n');
    expect(debug).toContain('rejected (vless-uuid): unknown user 111111112222333344445555555');
    // Still serving.
    await echoOnce(r);
  });

  it('times out a silent client and a stalled header', async () => {
    const r = await rig({ handshakeTimeoutMs: 150 });
    const silent = await rawClient(r.port);
    const stalled = await rawClient(r.port);
    stalled.write(vlessHeader(ALICE, echo.port).subarray(0, 10));
    await Promise.all([silent.closed, stalled.closed]);
    expect(badCounts(r)).toEqual({ timeout: 2 });
  });

  it('counts a failed TLS handshake as protocol, a silent TLS client as timeout', async () => {
    const r = await rig({ tls: {}, handshakeTimeoutMs: 200 });
    // Closed unanswered (OpenSSL), or after a fatal alert record (BoringSSL: protocol_version).
    const answer = await rejected(r, Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.alloc(64)]));
    expect(answer.length === 0 || (answer.length === 7 && answer[0] === 21 && answer[5] === 2), answer.toString('hex')).toBe(true);
    const silent = await rawClient(r.port);
    await silent.closed;
    expect(badCounts(r)).toEqual({ protocol: 1, timeout: 1 });
    await echoOnce(r, { tls: true });
  });

  it('does not count a client that closes before sending anything', async () => {
    const r = await rig();
    const c = await rawClient(r.port);
    c.end();
    await c.closed;
    await new Promise((res) => setTimeout(res, 50));
    expect(badCounts(r)).toEqual({});
  });

  it('refuses disabled and expired users and Mux, and serves the others', async () => {
    const r = await rig({
      users: [relayUser('alice', ALICE, { enabled: false }), relayUser('bob', BOB, { expiresAt: Date.now() - 1000 }),
        relayUser('carol', '99999999-8888-4777-8666-555555555555')],
    });
    expect(await rejected(r, vlessHeader(ALICE, echo.port))).toHaveLength(0);
    expect(await rejected(r, vlessHeader(BOB, echo.port))).toHaveLength(0);
    expect(await rejected(r, vlessHeader('99999999-8888-4777-8666-555555555555', 0, { command: 'mux' } as never))).toHaveLength(0);
    expect(badCounts(r)).toEqual({ 'vless-uuid': 2 });
    const debug = r.lines('debug').join('\n');
    expect(debug).toContain('user "alice" refused: disabled');
    expect(debug).toMatch(/user "bob" refused: expired at \d{4}-/);
    expect(r.lines('info').join('\n')).toContain('user "carol" from 127.0.0.1');
    expect(r.lines('info').join('\n')).toContain('Mux (command 3) is not supported');
    await echoOnce(r, {}, '99999999-8888-4777-8666-555555555555');
  });

  it('hands HTTP on the plaintext port to the fallback: the monitor (404 off its paths), or the handler set', async () => {
    const r = await rig();
    const res = await fetch(`http://127.0.0.1:${r.port}/not-a-monitor-path`);
    expect(res.status).toBe(404);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.text()).toBe('Not Found\n');
    r.runner.setFallbackHandler((socket, head) => {
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${head.indexOf('\r\n')}\r\nConnection: close\r\n\r\n${head.subarray(0, head.indexOf('\r\n'))}`);
    });
    const ok = await fetch(`http://127.0.0.1:${r.port}/hello`);
    expect(await ok.text()).toBe('GET /hello HTTP/1.1');
    r.runner.setFallbackHandler(null);
    expect((await fetch(`http://127.0.0.1:${r.port}/`)).status).toBe(404);
    expect(badCounts(r)).toEqual({});
    await echoOnce(r);
  });

  it('closes what it accepted on close(), mid-handshake and relaying', async () => {
    const guard = leakGuard(2000);
    const r = await startVlessRig({ users: [relayUser('alice', ALICE)] });
    const idle = await rawClient(r.port);
    const busy = await rawClient(r.port);
    busy.write(Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.from('x')]));
    await busy.waitBytes(3);
    await until(() => r.runner.users()[0]!.connections === 1, 'a live connection');
    await r.close();
    await Promise.all([idle.closed, busy.closed]);
    await expect(new Promise((res, rej) => net.connect(r.port, '127.0.0.1').on('connect', res).on('error', rej))).rejects.toThrow(/ECONNREFUSED/);
    await guard.check();
  });
});
