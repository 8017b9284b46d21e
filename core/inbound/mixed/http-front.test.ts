import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Outbound } from '../../adapter';
import { CoreError } from '../../rpc';
import { mixedSuite } from '../../test/mixed-suite';
import { closedPort, curl, lateDirect, payload, rawClient, sha256, warnings, type MixedRig } from '../../test/mixed-harness';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixed-http-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const suite = mixedSuite();

/** curl through the HTTP proxy, printing the status code last ("\n%{http_code}"). */
async function viaProxy(r: MixedRig, args: string[]): Promise<{ code: number; status: number; body: string; stderr: string }> {
  const res = await curl(['--proxy', `http://${r.address}`, '-w', '\n%{http_code}', ...args]);
  const text = res.stdout.toString('latin1');
  const cut = text.lastIndexOf('\n');
  return { code: res.code, status: Number(text.slice(cut + 1)), body: text.slice(0, cut), stderr: res.stderr };
}

describe('HTTP proxy, absolute-form requests', () => {
  it('downloads 4 MB intact and the upstream socket is tracked by the relay', async () => {
    const r = await suite.start();
    const size = 4 * 1024 * 1024 + 3;
    const res = await curl(['--proxy', `http://${r.address}`, `http://127.0.0.1:${suite.origin.port}/big?n=${size}`]);
    expect(res.stderr).toBe('');
    expect(sha256(res.stdout)).toBe(sha256(payload(size)));
    await r.stats.waitClosed(1);
    const conn = r.stats.closedConns[0]!;
    expect(conn.meta).toMatchObject({ inbound: 'http', network: 'tcp', user: null, destination: { host: '127.0.0.1', port: suite.origin.port } });
    const [up, down] = r.stats.finalSamples.get(conn)!;
    expect(down).toBeGreaterThan(size);
    expect(up).toBeGreaterThan(40);
    expect(warnings(r)).toEqual([]);
  });

  it('uploads 3 MB with POST (Expect: 100-continue) and chunked, intact', async () => {
    const r = await suite.start();
    const body = payload(3 * 1024 * 1024 + 1);
    const file = join(dir, 'upload.bin');
    writeFileSync(file, body);
    const plain = await viaProxy(r, ['--data-binary', `@${file}`, `http://127.0.0.1:${suite.origin.port}/upload`]);
    expect(plain.body).toBe(`${sha256(body)} ${body.length}`);
    expect(suite.origin.lastHeaders['content-length']).toBe(String(body.length));
    expect(suite.origin.lastHeaders.expect).toBeUndefined();
    const chunked = await viaProxy(r, ['-H', 'Transfer-Encoding: chunked', '--data-binary', `@${file}`, `http://127.0.0.1:${suite.origin.port}/upload`]);
    expect(chunked.body).toBe(`${sha256(body)} ${body.length}`);
    expect(suite.origin.lastHeaders['transfer-encoding']).toBe('chunked');
  });

  it('keeps the client connection alive across requests and reuses the upstream connection', async () => {
    const r = await suite.start();
    const base = `http://127.0.0.1:${suite.origin.port}`;
    const res = await curl(['-v', '--proxy', `http://${r.address}`, `${base}/one`, `${base}/two`]);
    expect(res.stdout.toString()).toBe('hello /onehello /two');
    expect(res.stderr).toMatch(/Re-using existing connection/);
    expect(suite.origin.seen).toEqual(['GET /one', 'GET /two']);
    expect(suite.origin.connections.size).toBe(1);
  });

  it('strips hop-by-hop headers both ways and rewrites to origin-form with the target Host', async () => {
    const r = await suite.start();
    const res = await curl(['-i', '--proxy', `http://${r.address}`, '-H', 'Host: wrong.example', '-H', 'Connection: X-Hop', '-H', 'X-Hop: 1',
      '-H', 'Proxy-Connection: keep-alive', '-H', 'TE: trailers', '-H', 'X-End: kept', `http://127.0.0.1:${suite.origin.port}/echo?q=1`]);
    const text = res.stdout.toString();
    const [head, body] = text.split('\r\n\r\n');
    const seen = JSON.parse(body!) as Record<string, string>;
    expect(suite.origin.seen).toEqual(['GET /echo?q=1']);
    expect(seen.host).toBe(`127.0.0.1:${suite.origin.port}`);
    expect(seen['x-end']).toBe('kept');
    for (const h of ['x-hop', 'proxy-connection', 'te', 'proxy-authorization']) expect(seen[h]).toBeUndefined();
    expect(head).not.toMatch(/x-origin-hop/i);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it('answers 407 with a Basic challenge without or with wrong credentials, and serves good ones', async () => {
    const r = await suite.start({ users: [{ username: 'u', password: 'p:w' }] });
    const url = `http://127.0.0.1:${suite.origin.port}/private`;
    const missing = await curl(['-i', '--proxy', `http://${r.address}`, url]);
    const text = missing.stdout.toString();
    expect(text).toMatch(/^HTTP\/1\.1 407 Proxy Authentication Required/);
    expect(text).toMatch(/Proxy-Authenticate: Basic realm="RelayDesk"/);
    expect(text).toMatch(/proxy authentication required/);
    expect(r.stats.badHandshakes).toEqual([]);

    const wrong = await viaProxy(r, ['--proxy-user', 'u:nope', url]);
    expect(wrong.status).toBe(407);
    expect(wrong.body).toBe('RelayDesk: wrong proxy username or password.\n');
    expect(r.stats.badHandshakes).toEqual([{ instanceId: 'mix', kind: 'auth' }]);

    const good = await viaProxy(r, ['--proxy-user', 'u:p:w', url]);
    expect([good.status, good.body]).toEqual([200, 'hello /private']);
    await r.stats.waitClosed(1);
    expect(r.stats.closedConns[0]!.meta.user).toBe('u');
    expect(suite.origin.seen).toEqual(['GET /private']);
  });

  it('answers 403 for a blocked destination, 502 for a refused one, 504 for a dial timeout, each naming it', async () => {
    const slow: Outbound = {
      tag: 'slow', type: 'test',
      dialTcp: (meta) => new Promise((_, reject) => setTimeout(() => reject(new CoreError('E_DIAL_TIMEOUT', `connect ${meta.destination.host}:${meta.destination.port} timed out after 50 ms`)), 50)),
      openUdp: () => Promise.reject(new CoreError('E_PROTO_UNSUPPORTED', 'no udp')),
    };
    const r = await suite.start({}, {
      mode: 'rule', lanBypass: false,
      rules: [{ type: 'domain_suffix', value: 'blocked.test', outbound: 'block' }, { type: 'domain', value: 'slow.test', outbound: 'slow' }],
    }, [slow]);
    const blocked = await viaProxy(r, ['http://www.blocked.test/x']);
    expect(blocked.status).toBe(403);
    expect(blocked.body).toBe('RelayDesk: http://www.blocked.test was not forwarded: www.blocked.test:80 blocked by rule domain_suffix(blocked.test).\n');

    const port = await closedPort();
    const refused = await viaProxy(r, [`http://127.0.0.1:${port}/`]);
    expect(refused.status).toBe(502);
    expect(refused.body).toBe(`RelayDesk: could not reach http://127.0.0.1:${port}: connect 127.0.0.1:${port} refused (E_DIAL_REFUSED).\n`);

    const timeout = await viaProxy(r, ['http://slow.test:8080/']);
    expect(timeout.status).toBe(504);
    expect(timeout.body).toMatch(/^RelayDesk: could not reach http:\/\/slow\.test:8080: .*timed out.*\(E_DIAL_TIMEOUT\)\.\n$/);
    expect(r.stats.openedConns).toEqual([]);
  });

  it('answers 400 to origin-form and https:// requests, 400/431 to malformed heads', async () => {
    const r = await suite.start();
    const cases: [string, RegExp][] = [
      ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 Bad Request[\s\S]*is not an absolute http:\/\/ URL/],
      ['GET https://a/ HTTP/1.1\r\nHost: a\r\n\r\n', /^HTTP\/1\.1 400 [\s\S]*CONNECT/],
      ['GET http://a/ HTTP/1.1\r\nBad Header\r\n\r\n', /^HTTP\/1\.1 400 Bad Request[\s\S]*header line without a name/],
      ['HELLO\r\n', /^HTTP\/1\.1 400 Bad Request[\s\S]*malformed request line/],
      [`GET http://a/ HTTP/1.1\r\nX: ${'a'.repeat(17000)}`, /^HTTP\/1\.1 431 [\s\S]*header too large/],
    ];
    for (const [request, expected] of cases) {
      const c = await rawClient(r.port);
      c.write(request);
      expect((await c.readAll()).toString()).toMatch(expected);
    }
    expect(r.stats.badHandshakes.map((b) => b.kind)).toEqual(Array(5).fill('http-request'));
  });

  it('serves an HTTP/1.0 client and closes after the response', async () => {
    const r = await suite.start();
    const c = await rawClient(r.port);
    c.write(`GET http://127.0.0.1:${suite.origin.port}/old HTTP/1.0\r\n\r\n`);
    const text = (await c.readAll()).toString();
    // node:http answers with its own version; the close after the body is what HTTP/1.0 needs.
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).not.toMatch(/transfer-encoding/i);
    expect(text.endsWith('hello /old')).toBe(true);
  });

  it('leaves no upstream socket behind when the client leaves during the dial', async () => {
    const r = await suite.start({}, { mode: 'global', globalOutbound: 'late', lanBypass: false }, [lateDirect(150)]);
    const c = await rawClient(r.port);
    c.write(`GET http://127.0.0.1:${suite.origin.port}/gone HTTP/1.1\r\nHost: a\r\n\r\n`);
    await new Promise((ok) => setTimeout(ok, 30));
    c.socket.destroy();
    await new Promise((ok) => setTimeout(ok, 300));
    expect(r.stats.openedConns).toEqual([]);
    // afterEach's leak guard fails if the late upstream socket (or the origin's end of it) lingers.
  });
});
