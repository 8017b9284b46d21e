import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leakGuard } from '../../test/route-rig';
import { closedPort, curl, payload, rawClient, sha256, startMixed, startOrigin, warnings, type MixedRig, type Target } from '../../test/mixed-harness';

let guard: ReturnType<typeof leakGuard>;
let rig: MixedRig | undefined;
let origin: Target;
let tlsOrigin: Target;
beforeEach(async () => {
  guard = leakGuard();
  rig = undefined;
  origin = await startOrigin();
  tlsOrigin = await startOrigin(true);
});
afterEach(async () => {
  await rig?.close();
  await origin.close();
  await tlsOrigin.close();
  await guard.check();
});

const ESTABLISHED = 'HTTP/1.1 200 Connection established\r\n\r\n';

describe('HTTP CONNECT', () => {
  it('carries HTTPS to a TLS origin (curl -k), 3 MB intact, by IP and by name', async () => {
    const r = (rig = await startMixed());
    const size = 3 * 1024 * 1024 + 11;
    const res = await curl(['-k', '--proxy', `http://${r.address}`, `https://127.0.0.1:${tlsOrigin.port}/big?n=${size}`]);
    expect(res.stderr).toBe('');
    expect(sha256(res.stdout)).toBe(sha256(payload(size)));
    const named = await curl(['-k', '--proxy', `http://${r.address}`, `https://localhost:${tlsOrigin.port}/tls`]);
    expect(named.stdout.toString()).toBe('hello /tls');
    await r.stats.waitClosed(2);
    const [first, second] = r.stats.closedConns;
    expect(first!.meta).toMatchObject({ inbound: 'http', destination: { host: '127.0.0.1', port: tlsOrigin.port } });
    expect(second!.meta.destination).toEqual({ host: 'localhost', port: tlsOrigin.port });
    expect(r.stats.finalSamples.get(first!)![1]).toBeGreaterThan(size);
    expect(warnings(r)).toEqual([]);
  });

  it('authenticates CONNECT: good credentials tunnel, wrong ones get 407 and are counted', async () => {
    const r = (rig = await startMixed({ users: [{ username: 'u', password: 'p' }] }));
    const url = `https://127.0.0.1:${tlsOrigin.port}/secure`;
    const good = await curl(['-k', '--proxy', `http://${r.address}`, '--proxy-user', 'u:p', url]);
    expect(good.stdout.toString()).toBe('hello /secure');
    await r.stats.waitClosed(1);
    expect(r.stats.closedConns[0]!.meta.user).toBe('u');

    const bad = await curl(['-k', '--proxy', `http://${r.address}`, '--proxy-user', 'u:x', url]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/407/);
    expect(r.stats.badHandshakes).toEqual([{ instanceId: 'mix', kind: 'auth' }]);

    const c = await rawClient(r.port);
    c.write('CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n');
    const text = (await c.readAll()).toString();
    expect(text).toMatch(/^HTTP\/1\.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="RelayDesk"\r\n/);
    expect(text).toMatch(/proxy authentication required/);
    expect(r.stats.badHandshakes).toHaveLength(1);
  });

  it('answers 403 blocked, 502 refused and 400 for a bad target, with readable bodies', async () => {
    const r = (rig = await startMixed({}, { mode: 'rule', lanBypass: false, rules: [{ type: 'domain', value: 'ads.test', outbound: 'block' }] }));
    const ask = async (request: string) => {
      const c = await rawClient(r.port);
      c.write(request);
      return (await c.readAll()).toString();
    };
    expect(await ask('CONNECT ads.test:443 HTTP/1.1\r\nHost: ads.test:443\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*\r\n\r\nRelayDesk: ads\.test:443 was not forwarded: ads\.test:443 blocked by rule domain\(ads\.test\)\.\n$/,
    );
    const port = await closedPort();
    expect(await ask(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`)).toMatch(new RegExp(`^HTTP/1\\.1 502 Bad Gateway\\r\\n[\\s\\S]*connect 127\\.0\\.0\\.1:${port} refused`));
    expect(await ask('CONNECT nohost HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request[\s\S]*host:port/);
    const viaCurl = await curl(['-k', '--proxy', `http://${r.address}`, 'https://ads.test/']);
    expect(viaCurl.stderr).toMatch(/403/);
    expect(r.stats.badHandshakes.map((b) => b.kind)).toEqual(['http-request']);
    expect(r.stats.openedConns).toEqual([]);
  });

  it('relays bytes sent right behind the CONNECT head', async () => {
    const r = (rig = await startMixed());
    const c = await rawClient(r.port);
    c.write(`CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: x\r\n\r\nGET /early HTTP/1.0\r\n\r\n`);
    const text = (await c.readAll()).toString();
    expect(text.startsWith(`${ESTABLISHED}HTTP/1.1 200 OK`)).toBe(true);
    expect(text.endsWith('hello /early')).toBe(true);
  });

  it('tunnels a CONNECT that follows a plain request on the same keep-alive connection', async () => {
    const r = (rig = await startMixed());
    const c = await rawClient(r.port);
    c.write(`GET http://127.0.0.1:${origin.port}/first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const head = (await c.read(17)).toString();
    expect(head).toBe('HTTP/1.1 200 OK\r\n');
    // The whole first response: read up to its 12-byte body.
    let rest = '';
    while (!rest.endsWith('hello /first')) rest += (await c.read(1)).toString();
    c.write(`CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\n\r\n`);
    expect((await c.read(ESTABLISHED.length)).toString()).toBe(ESTABLISHED);
    c.write('GET /second HTTP/1.0\r\n\r\n');
    expect((await c.readAll()).toString().endsWith('hello /second')).toBe(true);
    expect(origin.seen).toEqual(['GET /first', 'GET /second']);
  });
});

describe('HTTP Upgrade through the plain proxy', () => {
  it('forwards the rewritten upgrade request and then relays both ways', async () => {
    const r = (rig = await startMixed());
    const c = await rawClient(r.port);
    c.write(`GET http://127.0.0.1:${origin.port}/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: test-proto\r\nProxy-Connection: keep-alive\r\n\r\n`);
    const expected = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: test-proto\r\nConnection: Upgrade\r\n\r\nupgraded:';
    expect((await c.read(expected.length)).toString()).toBe(expected);
    c.write('ping');
    expect((await c.read(4)).toString()).toBe('ping');
    expect(origin.seen).toEqual(['UPGRADE /ws']);
    expect(origin.lastHeaders.upgrade).toBe('test-proto');
    expect(origin.lastHeaders['proxy-connection']).toBeUndefined();
    c.socket.end();
    await c.closed;
    await r.stats.waitClosed(1);
    expect(r.stats.closedConns[0]!.meta.inbound).toBe('http');
  });
});
