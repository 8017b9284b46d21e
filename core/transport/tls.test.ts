import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { closedPort, fixture, sha256 } from '../test/mixed-harness';
import { leakGuard } from '../test/route-rig';
import { certificatePin, dialTls, normalizePin } from './tls';

const cert = readFileSync(fixture('mixed-tls-cert.pem'));
const PIN = `sha256:${sha256(new X509Certificate(cert).raw)}`;

let guard: ReturnType<typeof leakGuard>;
let server: tls.Server;
let port: number;
/** What the server saw per connection: SNI and the negotiated ALPN protocol. */
let seen: { servername: string | false; alpn: string | false | null }[];
const sockets = new Set<Socket>();
beforeEach(async () => {
  guard = leakGuard();
  seen = [];
  server = tls.createServer({ key: readFileSync(fixture('mixed-tls-key.pem')), cert, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    seen.push({ servername: (s as tls.TLSSocket & { servername: string | false }).servername, alpn: s.alpnProtocol });
    s.end('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise<void>((r) => server.close(() => r()));
  await guard.check();
});

async function read(s: Socket): Promise<string> {
  let out = '';
  s.on('data', (c: Buffer) => (out += c.toString())).resume();
  await new Promise((r) => s.once('end', r));
  return out;
}

describe('dialTls', () => {
  it('sends SNI and ALPN, checks the pin even when insecure, and hands over a paused half-open socket', async () => {
    const s = await dialTls({ host: '127.0.0.1', port, sni: 'localhost', alpn: ['http/1.1'], insecure: true, pinSha256: PIN.toUpperCase().replace('SHA256:', 'sha256:') });
    expect(s.isPaused()).toBe(true);
    expect(s.allowHalfOpen).toBe(true);
    expect(s.listenerCount('error')).toBe(0);
    expect(await read(s)).toBe('hello');
    expect(seen).toEqual([{ servername: 'localhost', alpn: 'http/1.1' }]);
    s.destroy();
  });

  it('resumes the session on the next dial to the same server, never under another policy', async () => {
    const opts = { host: '127.0.0.1', port, sni: 'localhost', insecure: true, pinSha256: PIN };
    const first = await dialTls(opts);
    expect(first.isSessionReused()).toBe(false);
    expect(await read(first)).toBe('hello');
    first.destroy();
    const second = await dialTls(opts);
    expect(second.isSessionReused()).toBe(true);
    expect(await read(second)).toBe('hello');
    second.destroy();
    // The insecure session is not offered to a verifying dial, which still fails on the self-signed chain.
    const err = await dialTls({ host: '127.0.0.1', port, sni: 'localhost' }).catch((e: unknown) => e);
    expect(isCoreError(err, 'E_DIAL_FAILED')).toBe(true);
  });

  it('sends no SNI for an IP literal host', async () => {
    const s = await dialTls({ host: '127.0.0.1', port, insecure: true });
    await read(s);
    expect(seen[0]!.servername).toBe(false);
    s.destroy();
  });

  it('verifies the chain unless insecure: a self-signed server fails with E_DIAL_FAILED', async () => {
    const err = await dialTls({ host: '127.0.0.1', port, sni: 'localhost' }).catch((e: unknown) => e);
    expect(isCoreError(err, 'E_DIAL_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: self-signed certificate/);
  });

  it('refuses a certificate whose pin does not match, even when insecure', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const err = await dialTls({ host: '127.0.0.1', port, insecure: true, pinSha256: wrong }).catch((e: unknown) => e);
    expect(isCoreError(err, 'E_DIAL_FAILED')).toBe(true);
    expect((err as Error).message).toBe(`certificate pin mismatch for 127.0.0.1:${port}: the server presented ${PIN}, expected ${wrong}`);
  });

  it('rejects with the raw socket error while TCP connects, E_DIAL_RESET when the handshake is reset', async () => {
    const refused = await dialTls({ host: '127.0.0.1', port: await closedPort(), insecure: true }).catch((e: unknown) => e);
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const rude = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    try {
      const err = await dialTls({ host: '127.0.0.1', port: (rude.address() as AddressInfo).port, insecure: true }).catch((e: unknown) => e);
      expect(isCoreError(err, 'E_DIAL_RESET')).toBe(true);
      expect((err as Error).message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: .*ECONNRESET/);
    } finally {
      await new Promise<void>((r) => rude.close(() => r()));
    }
  });

  it('rejects with the abort reason', async () => {
    const abort = new AbortController();
    const p = dialTls({ host: '127.0.0.1', port, insecure: true, signal: abort.signal });
    const reason = new Error('stop');
    abort.abort(reason);
    await expect(p).rejects.toBe(reason);
  });
});

describe('certificate pins', () => {
  it('normalizes case and colons, and refuses what is not 32 bytes of hex', () => {
    const hex = 'ab'.repeat(32);
    expect(normalizePin(`SHA256:${hex.toUpperCase().match(/../g)!.join(':')}`)).toBe(`sha256:${hex}`);
    expect(() => normalizePin('sha256:abcd')).toThrow(/is not a certificate pin/);
    expect(certificatePin(new X509Certificate(cert).raw)).toBe(PIN);
  });
});
