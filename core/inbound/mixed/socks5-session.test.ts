import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIXED_PATHS, mixedSuite } from '../../test/mixed-suite';
import { closedPort, curl, lateDirect, payload, rawClient, sha256, warnings } from '../../test/mixed-harness';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** SOCKS5 CONNECT request bytes for an IPv4 or domain destination (built by hand, not by the codec). */
function connectRequest(host: string, port: number, cmd = 1): Buffer {
  const p = Buffer.from([port >> 8, port & 255]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return Buffer.concat([Buffer.from([5, cmd, 0, 1, ...host.split('.').map(Number)]), p]);
  return Buffer.concat([Buffer.from([5, cmd, 0, 3, host.length]), Buffer.from(host), p]);
}

describe.each(MIXED_PATHS)('%s path', (path) => {
  const suite = mixedSuite(path);

  describe('SOCKS5 CONNECT with real clients', () => {
    it('curl --socks5-hostname downloads 3 MB intact and the relay reports the bytes', async () => {
      const r = await suite.start();
      const size = 3 * 1024 * 1024 + 7;
      const res = await curl(['--socks5-hostname', r.address, `http://127.0.0.1:${suite.origin.port}/big?n=${size}`]);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(sha256(res.stdout)).toBe(sha256(payload(size)));
      await r.stats.waitClosed(1);
      const conn = r.stats.closedConns[0]!;
      expect(conn.meta).toMatchObject({ inbound: 'socks5', network: 'tcp', instanceId: 'mix', user: null, destination: { host: '127.0.0.1', port: suite.origin.port } });
      expect([conn.rule, conn.outbound]).toEqual(['final', 'direct']);
      const [up, down] = r.stats.finalSamples.get(conn)!;
      expect(down).toBeGreaterThan(size);
      expect(up).toBeGreaterThan(50);
      expect(r.stats.badHandshakes).toEqual([]);
      expect(warnings(r)).toEqual([]);
    });

    it('passes a domain destination through unresolved (localhost)', async () => {
      const r = await suite.start();
      const res = await curl(['--socks5-hostname', r.address, `http://localhost:${suite.origin.port}/name`]);
      expect(res.stdout.toString()).toBe('hello /name');
      await r.stats.waitClosed(1);
      expect(r.stats.closedConns[0]!.meta.destination).toEqual({ host: 'localhost', port: suite.origin.port });
    });

    it('uploads 2 MB through CONNECT intact', async () => {
      const r = await suite.start();
      const body = payload(2 * 1024 * 1024);
      const dir = mkdtempSync(join(tmpdir(), 'mixed-socks-'));
      const file = join(dir, 'upload.bin');
      writeFileSync(file, body);
      const res = await curl(['--socks5-hostname', r.address, '--data-binary', `@${file}`, `http://127.0.0.1:${suite.origin.port}/upload`]);
      rmSync(dir, { recursive: true, force: true });
      expect(res.stdout.toString()).toBe(`${sha256(body)} ${body.length}`);
    });

    it('authenticates with RFC 1929: good credentials pass and name the user, bad ones get status 0x01', async () => {
      const r = await suite.start({ users: [{ username: 'alice', password: 's3cret' }, { username: 'bob', password: 'pw' }] });
      const good = await curl(['--socks5-hostname', `bob:pw@${r.address}`, `http://127.0.0.1:${suite.origin.port}/auth`]);
      expect(good.stdout.toString()).toBe('hello /auth');
      await r.stats.waitClosed(1);
      expect(r.stats.closedConns[0]!.meta.user).toBe('bob');

      const bad = await curl(['--socks5-hostname', `alice:wrong@${r.address}`, `http://127.0.0.1:${suite.origin.port}/auth`]);
      expect(bad.code).not.toBe(0);
      expect(r.stats.badHandshakes).toEqual([{ instanceId: 'mix', kind: 'auth' }]);

      const c = await rawClient(r.port);
      c.write(hex('05 01 02'));
      expect(await c.read(2)).toEqual(hex('05 02'));
      c.write(Buffer.concat([hex('01 05'), Buffer.from('alice'), hex('05'), Buffer.from('wrong')]));
      expect(await c.read(2)).toEqual(hex('01 01'));
      await c.closed;

      const noAuth = await rawClient(r.port);
      noAuth.write(hex('05 01 00'));
      expect(await noAuth.read(2)).toEqual(hex('05 ff'));
      await noAuth.closed;
      expect(r.stats.badHandshakes.map((b) => b.kind)).toEqual(['auth', 'auth', 'auth']);
    });

    it('answers 0x02 for a destination blocked by a rule, 0x05 for a refused port', async () => {
      const r = await suite.start({}, { mode: 'rule', lanBypass: false, rules: [{ type: 'domain_suffix', value: 'blocked.test', outbound: 'block' }] });
      const blocked = await rawClient(r.port);
      blocked.write(Buffer.concat([hex('05 01 00'), connectRequest('www.blocked.test', 80)]));
      expect(await blocked.read(2)).toEqual(hex('05 00'));
      expect(await blocked.read(10)).toEqual(hex('05 02 00 01 00000000 0000'));
      await blocked.closed;

      const viaCurl = await curl(['--socks5-hostname', r.address, 'http://blocked.test/']);
      expect(viaCurl.code).not.toBe(0);
      expect(viaCurl.stderr).toMatch(/SOCKS5.*\(2\)/);

      const port = await closedPort();
      const refused = await rawClient(r.port);
      refused.write(hex('05 01 00'));
      expect(await refused.read(2)).toEqual(hex('05 00'));
      refused.write(connectRequest('127.0.0.1', port));
      expect(await refused.read(10)).toEqual(hex('05 05 00 01 00000000 0000'));
      await refused.closed;
      expect(r.stats.openedConns).toEqual([]);
      expect(r.stats.badHandshakes).toEqual([]);
    });

    it('replies with the bound address of the outbound socket and relays bytes pipelined with the request', async () => {
      const r = await suite.start();
      const c = await rawClient(r.port);
      c.write(Buffer.concat([hex('05 01 00'), connectRequest('127.0.0.1', suite.origin.port), Buffer.from('GET /pipelined HTTP/1.0\r\n\r\n')]));
      expect(await c.read(2)).toEqual(hex('05 00'));
      const reply = await c.read(10);
      expect(reply.subarray(0, 8)).toEqual(hex('05 00 00 01 7f000001'));
      expect(reply.readUInt16BE(8)).toBeGreaterThan(0);
      const response = (await c.readAll()).toString();
      expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(response.endsWith('hello /pipelined')).toBe(true);
      // The origin saw a connection from the port the reply announced.
      expect(suite.origin.connections.has(reply.readUInt16BE(8))).toBe(true);
    });

    it('answers BIND and unknown commands with 0x07 and a bad ATYP with 0x08', async () => {
      const r = await suite.start();
      for (const [request, rep] of [[connectRequest('127.0.0.1', 1, 2), '07'], [connectRequest('127.0.0.1', 1, 9), '07'], [hex('05 01 00 07 0000'), '08']] as const) {
        const c = await rawClient(r.port);
        c.write(Buffer.concat([hex('05 01 00'), request]));
        expect(await c.read(2)).toEqual(hex('05 00'));
        expect(await c.read(10)).toEqual(hex(`05 ${rep} 00 01 00000000 0000`));
        await c.closed;
      }
      expect(r.stats.badHandshakes.map((b) => b.kind)).toEqual(['socks5-request', 'socks5-request', 'socks5-request']);
    });

    it('accepts user/password from a client that offers only that when no users are configured', async () => {
      const r = await suite.start();
      const c = await rawClient(r.port);
      c.write(hex('05 01 02  01 01 61 01 62'));
      expect(await c.read(4)).toEqual(hex('05 02 01 00'));
      c.write(Buffer.concat([connectRequest('127.0.0.1', suite.origin.port), Buffer.from('GET /any HTTP/1.0\r\n\r\n')]));
      expect((await c.read(10))[1]).toBe(0);
      expect((await c.readAll()).toString()).toMatch(/hello \/any$/);
    });
  });

  describe('SOCKS5 failures', () => {
    it('curl reports the refusal', async () => {
      const r = await suite.start();
      const res = await curl(['--socks5-hostname', r.address, `http://127.0.0.1:${await closedPort()}/`]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/SOCKS5.*\(5\)/);
    });

    it('leaves no upstream socket behind when the client leaves during the dial', async () => {
      const r = await suite.start({}, { mode: 'global', globalOutbound: 'late', lanBypass: false }, [lateDirect(150)]);
      const c = await rawClient(r.port);
      c.write(Buffer.concat([hex('05 01 00'), connectRequest('127.0.0.1', suite.origin.port)]));
      expect(await c.read(2)).toEqual(hex('05 00'));
      c.socket.destroy();
      await new Promise((ok) => setTimeout(ok, 300));
      // A FIN during the dial may be a half-close, so the relay may still start: it must end at once.
      await r.stats.waitClosed(r.stats.openedConns.length, 1000);
      r.stats.assertBalanced();
      expect(r.relay.activeCount()).toBe(0);
    });
  });
});
