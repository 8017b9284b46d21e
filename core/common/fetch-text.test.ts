import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedPort, fixture } from '../test/mixed-harness';
import { leakGuard } from '../test/route-rig';
import { fetchText } from './fetch-text';

let guard: ReturnType<typeof leakGuard>;
const servers: Array<http.Server> = [];
beforeEach(() => { guard = leakGuard(); });
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await guard.check();
});

async function serve(handler: http.RequestListener, server: http.Server = http.createServer()): Promise<string> {
  server.on('request', handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `${server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('fetchText', () => {
  it('returns the UTF-8 body, following up to 3 redirects, and decompresses gzip', async () => {
    const seen: string[] = [];
    const base = await serve((req, res) => {
      seen.push(`${req.url} ${req.headers['user-agent']}`);
      const m = /^\/r(\d)$/.exec(req.url!);
      if (m) {
        res.writeHead(302, { location: Number(m[1]) > 1 ? `/r${Number(m[1]) - 1}` : '/body' }).end();
      } else if (req.url === '/gz') {
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync('zipped ✓'));
      } else {
        res.end('héllo\nvless://x');
      }
    });
    expect(await fetchText(`${base}/r3`)).toBe('héllo\nvless://x');
    expect(seen).toEqual(['/r3 RelayDesk', '/r2 RelayDesk', '/r1 RelayDesk', '/body RelayDesk']);
    expect(await fetchText(`${base}/gz`)).toBe('zipped ✓');
    const err = await fetchText(`${base}/r4`).catch((e) => e);
    expect(err.code).toBe('E_DIAL_FAILED');
    expect(err.message).toBe(`GET ${base}/r4: more than 3 redirects`);
  });

  it('fails with clear codes: HTTP status, size limit, timeout, refused, bad URL, untrusted TLS', async () => {
    const sockets = new Set<Socket>();
    const base = await serve((req, res) => {
      sockets.add(req.socket);
      if (req.url === '/missing') res.writeHead(404).end('no');
      else if (req.url === '/big') res.end(Buffer.alloc((4 << 20) + 1, 0x61));
      else if (req.url === '/stream') {
        res.write(Buffer.alloc(3 << 20, 0x61));
        res.end(Buffer.alloc(2 << 20, 0x61));
      } else if (req.url === '/file') res.writeHead(301, { location: 'file:///etc/passwd' }).end();
      // '/hang' never answers.
    });
    const missing = await fetchText(`${base}/missing`).catch((e) => e);
    expect([missing.code, missing.message]).toEqual(['E_DIAL_FAILED', `GET ${base}/missing: HTTP 404 Not Found`]);
    const big = await fetchText(`${base}/big`).catch((e) => e);
    expect([big.code, big.message]).toEqual(['E_PROTO_UNSUPPORTED', `GET ${base}/big: the body is larger than 4 MiB`]);
    expect((await fetchText(`${base}/stream`, { maxBytes: 4 << 20 }).catch((e) => e)).code).toBe('E_PROTO_UNSUPPORTED');
    const hang = await fetchText(`${base}/hang`, { timeoutMs: 200 }).catch((e) => e);
    expect([hang.code, hang.message]).toEqual(['E_DIAL_TIMEOUT', `GET ${base}/hang: no answer within 200 ms`]);
    expect((await fetchText(`${base}/file`).catch((e) => e)).message).toBe(`GET ${base}/file: file: URLs are not fetched (http or https only)`);
    const port = await closedPort();
    expect((await fetchText(`http://127.0.0.1:${port}/`).catch((e) => e)).code).toBe('E_DIAL_REFUSED');
    expect((await fetchText('ftp://example.com/x').catch((e) => e)).code).toBe('E_CONFIG_INVALID');
    expect((await fetchText('nonsense').catch((e) => e)).code).toBe('E_CONFIG_INVALID');

    const tlsBase = await serve((_req, res) => res.end('secret'), https.createServer({ key: readFileSync(fixture('mixed-tls-key.pem')), cert: readFileSync(fixture('mixed-tls-cert.pem')) }));
    const untrusted = await fetchText(`${tlsBase}/`).catch((e) => e);
    expect(untrusted.code).toBe('E_DIAL_FAILED');
    expect(untrusted.message).toMatch(/certificate/i);
    for (const s of sockets) s.destroy();
  });
});
