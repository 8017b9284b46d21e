import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { frontAddon, frontTls } from '../../route/splice';
import { startUdpEcho, type MixedRig } from '../../test/mixed-harness';
import { expectSlowUserRelayed, socksConnect, startVlessProxy } from '../../test/vless-front-rig';
import { rawClient as relayClient, relayUser, startEcho, startVlessRig, until, userBytes, vlessHeader, type VlessRig } from '../../test/vless-in-harness';

const ALICE = '11111111-2222-4333-8444-555555555555';
const SLOW = '21111111-2222-4333-8444-555555555555';

/**
 * A private CA and a certificate it signed for localhost / 127.0.0.1, the CA trusted through
 * NODE_EXTRA_CA_CERTS (read by the native client's trust store on first use, in this process only).
 */
function makePki(dir: string): { cert: string; key: string; ca: string } {
  const f = (n: string) => join(dir, n);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=RelayDesk test CA',
    '-keyout', f('ca.key'), '-out', f('ca.pem'));
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-keyout', f('leaf.key'), '-out', f('leaf.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2',
    '-extfile', f('san.ext'), '-out', f('leaf.pem'));
  return { cert: f('leaf.pem'), key: f('leaf.key'), ca: f('ca.pem') };
}

let dir: string;
let pki: { cert: string; key: string; ca: string };
let echo: Awaited<ReturnType<typeof startEcho>>;
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of closers.splice(0).reverse()) await c(); });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relaydesk-native-tls-'));
  pki = makePki(dir);
  process.env.NODE_EXTRA_CA_CERTS = pki.ca;
  echo = await startEcho();
});
afterAll(async () => {
  await echo?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function relay(users = [relayUser('alice', ALICE)], over: Record<string, unknown> = {}): Promise<VlessRig> {
  const r = await startVlessRig({ users, tls: { certFile: pki.cert, keyFile: pki.key }, ...over });
  closers.push(() => r.close());
  return r;
}

async function proxyTo(port: number, tlsSpec: Record<string, unknown>, transport: Record<string, unknown> = { type: 'tcp' }): Promise<MixedRig> {
  const rig = await startVlessProxy(port, ALICE, { tls: tlsSpec, transport });
  closers.push(() => rig.close());
  return rig;
}

const info = (rig: MixedRig) => rig.logs.entries({ limit: 500, level: 'info' }).map((e) => e.message).join('\n');

const addon = frontAddon();

describe.skipIf(addon === null || !frontTls(addon))('native front, VLESS over TLS', () => {
  it('relays SOCKS5 → VLESS/TLS → relay → echo with TLS native on both ends, verified, with exact bytes', async () => {
    const r = await relay();
    expect(r.lines().join('\n')).toMatch(new RegExp(`VLESS relay \\(TCP, TLS with certificate .*leaf\\.pem, native front on ${addon!.tlsLibrary}\\)`));
    const rig = await proxyTo(r.port, { sni: 'localhost' });
    const chunk = Buffer.alloc(300_000, 7);
    for (let i = 0; i < 2; i++) {
      const { c, reply } = await socksConnect(rig, echo.port);
      expect(reply[1]).toBe(0);
      c.write(chunk);
      expect((await c.read(chunk.length)).equals(chunk)).toBe(true);
      c.socket.end();
      await c.closed;
    }
    await rig.stats.waitClosed(2);
    for (const id of rig.stats.closedConns) expect(rig.stats.finalSamples.get(id)).toEqual([chunk.length, chunk.length]);
    await new Promise((res) => setTimeout(res, 300)); // a collector tick
    expect(userBytes(r, 'alice')).toEqual({ up: 2 * chunk.length, down: 2 * chunk.length });
  });

  it('refuses a certificate for another name, and a pin that does not match', async () => {
    const r = await relay();
    const wrongName = await proxyTo(r.port, { sni: 'other.test' });
    const first = await socksConnect(wrongName, echo.port);
    expect(first.reply[1]).toBe(1);
    await until(() => /TLS handshake with 127\.0\.0\.1:\d+ failed: hostname mismatch \(E_DIAL_FAILED\)/.test(info(wrongName)), 'the hostname mismatch logged');
    const pinned = await proxyTo(r.port, { sni: 'localhost', pinSha256: `sha256:${'cd'.repeat(32)}` });
    const second = await socksConnect(pinned, echo.port);
    expect(second.reply[1]).toBe(1);
    const der = new crypto.X509Certificate(readFileSync(pki.cert)).raw;
    const presented = `sha256:${crypto.createHash('sha256').update(der).digest('hex')}`;
    await until(() => info(pinned).includes(`the server presented ${presented}, expected sha256:${'cd'.repeat(32)}`), 'the pin mismatch logged');
  });

  it('picks the first of its ALPN protocols the client offers, and resumes sessions it issued without renewing them', async () => {
    const r = await startVlessRig({ users: [relayUser('alice', ALICE)], tls: { certFile: pki.cert, keyFile: pki.key, alpn: ['h2', 'http/1.1'] } });
    closers.push(() => r.close());
    // A VLESS request to the echo and its answer first: BoringSSL sends the ticket with the
    // server's first write (OpenSSL right after the handshake).
    const connect = (session?: Buffer) => new Promise<{ s: tls.TLSSocket; ticket: Promise<Buffer> }>((res, rej) => {
      const s = tls.connect({ host: '127.0.0.1', port: r.port, servername: 'localhost', ca: readFileSync(pki.ca), ALPNProtocols: ['http/1.1', 'h2'], session });
      const ticket = new Promise<Buffer>((got) => s.once('session', got));
      s.once('secureConnect', () => {
        s.write(Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.from('ping')]));
        s.once('data', () => res({ s, ticket }));
      });
      s.once('error', rej);
    });
    const first = await connect();
    expect(first.s.alpnProtocol).toBe('h2');
    const ticket = await first.ticket;
    first.s.destroy();
    const second = await connect(ticket);
    expect(second.s.isSessionReused()).toBe(true);
    // A resumed client keeps its ticket: none comes with (or after) the answer.
    const renewed = await Promise.race([second.ticket.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 200))]);
    expect(renewed).toBe(false);
    second.s.destroy();
  });

  it('resumes the TLS session on the next dial to the same server', async () => {
    const reused: boolean[] = [];
    const server = tls.createServer({ cert: readFileSync(pki.cert), key: readFileSync(pki.key) }, (s) => {
      reused.push(s.isSessionReused());
      s.on('error', () => undefined);
      // A minimal VLESS server: drop the request header (IPv4 destination, no addons), answer, echo.
      s.once('data', (b: Buffer) => {
        s.write(Buffer.from([0, 0]));
        s.write(b.subarray(26 + b[17]!));
        s.pipe(s);
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    closers.push(() => new Promise((res) => server.close(res)));
    const rig = await proxyTo((server.address() as net.AddressInfo).port, { sni: 'localhost' });
    for (let i = 0; i < 3; i++) {
      const { c, reply } = await socksConnect(rig, echo.port);
      expect(reply[1]).toBe(0);
      c.write('ping');
      expect((await c.read(4)).toString()).toBe('ping');
      c.socket.destroy();
      // The ticket comes after the handshake: give it a moment to arrive before the next dial.
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(reused).toEqual([false, true, true]);
  });

  it('gives clients the JS path serves (speed limits, UDP) a plain stream behind TLS', async () => {
    const r = await relay([relayUser('alice', ALICE), relayUser('slow', SLOW, { downLimitBps: 4_000_000 })]);
    await expectSlowUserRelayed(r, SLOW, echo.port, { tls: true });

    const udp = await startUdpEcho();
    closers.push(() => udp.close());
    const c = await relayClient(r.port, { tls: true });
    const datagram = Buffer.from('datagram over TLS');
    const frame = Buffer.concat([Buffer.from([0, datagram.length]), datagram]);
    c.write(Buffer.concat([vlessHeader(ALICE, udp.port, { command: 'udp' }), frame]));
    const answer = Buffer.from(`echo:${datagram.toString()}`); // what startUdpEcho sends back
    const back = await c.waitBytes(2 + 2 + answer.length);
    expect(back.subarray(2)).toEqual(Buffer.concat([Buffer.from([0, answer.length]), answer]));
    c.destroy();
  });

  it('relays SOCKS5 → VLESS/WebSocket over TLS → relay natively on both ends; a wss port leaves plain HTTPS to JS', async () => {
    const r = await relay([relayUser('alice', ALICE)], { transport: { type: 'ws', path: '/wss' } });
    expect(r.lines().join('\n')).toMatch(new RegExp(`VLESS relay \\(WebSocket /wss, TLS with certificate .*leaf\\.pem, native front on ${addon!.tlsLibrary}\\)`));
    const rig = await proxyTo(r.port, { sni: 'localhost' }, { type: 'ws', path: '/wss' });
    const chunk = Buffer.alloc(200_000, 5);
    const { c, reply } = await socksConnect(rig, echo.port);
    expect(reply[1]).toBe(0);
    c.write(chunk);
    expect((await c.read(chunk.length)).equals(chunk)).toBe(true);
    c.socket.destroy();
    await until(() => userBytes(r, 'alice').down === chunk.length, 'the relay counted');
    // Over TLS, a request that is no upgrade to the path goes to the JS acceptor through the bridge.
    const https = tls.connect({ host: '127.0.0.1', port: r.port, servername: 'localhost', ca: readFileSync(pki.ca) });
    https.write('GET /elsewhere HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const answer = await new Promise<string>((res) => {
      let got = '';
      https.on('data', (d: Buffer) => { got += d.toString('latin1'); });
      https.on('close', () => res(got));
      https.on('error', () => res(got));
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 404 Not Found');
    // A wss dial that does not trust the name fails at its TLS, worded as the JS dial words it.
    const wrong = await proxyTo(r.port, { sni: 'other.test' }, { type: 'ws', path: '/wss' });
    expect((await socksConnect(wrong, echo.port)).reply[1]).toBe(1);
    await until(() => /TLS handshake with 127\.0\.0\.1:\d+ failed: hostname mismatch \(E_DIAL_FAILED\)/.test(info(wrong)), 'the hostname mismatch logged');
  });
});
