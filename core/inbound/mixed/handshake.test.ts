import { describe, expect, it } from 'vitest';
import { MIXED_PATHS, mixedSuite } from '../../test/mixed-suite';
import { curl, rawClient, warnings } from '../../test/mixed-harness';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(MIXED_PATHS)('%s path', (path) => {
  const suite = mixedSuite(path);

  /** Writes `bytes` one at a time every `everyMs` until the server closes; resolves when it did, in ms. */
  async function trickle(port: number, bytes: Buffer, everyMs: number): Promise<{ closedAfterMs: number; sent: number; reply: Buffer }> {
    const c = await rawClient(port);
    let sent = 0;
    let closed = false;
    void c.closed.then(() => {
      closed = true;
    });
    while (!closed && sent < bytes.length) {
      c.write(bytes.subarray(sent, sent + 1));
      sent++;
      await sleep(everyMs);
    }
    const closedAfterMs = await c.closed;
    return { closedAfterMs, sent, reply: await c.readAll() };
  }

  describe('mixed inbound: bad input', () => {
    it('closes unknown protocols (SOCKS4, TLS, NUL) at once and counts them', async () => {
      const r = await suite.start();
      for (const first of [hex('04 01 0050 7f000001 00'), hex('16 03 01 00 05'), hex('00')]) {
        const c = await rawClient(r.port);
        c.write(first);
        expect(await c.readAll()).toEqual(Buffer.alloc(0));
      }
      expect(r.stats.badHandshakes).toEqual(Array(3).fill({ instanceId: 'mix', kind: 'unknown-protocol' }));
    });

    it('counts truncated handshakes by phase when the client gives up, and ignores silent connects', async () => {
      const r = await suite.start({ users: [{ username: 'a', password: 'b' }] });
      const steps: Buffer[][] = [
        [hex('05 03 00')],
        [hex('05 01 02'), hex('01 05 61')],
        [hex('05 01 02'), hex('01 01 61 01 62'), hex('05 01 00 03 0a 6162')],
        [Buffer.from('CONNECT a:1 HTTP/1.1\r\nHost')],
        [],
      ];
      for (const writes of steps) {
        const c = await rawClient(r.port);
        for (const w of writes) c.write(w);
        await sleep(50);
        c.socket.end();
        await c.closed;
      }
      await sleep(50);
      expect(r.stats.badHandshakes.map((b) => b.kind)).toEqual(['socks5-greeting', 'socks5-auth', 'socks5-request', 'http-request']);
    });

    it('answers a greeting with no methods with 0xFF', async () => {
      const r = await suite.start();
      const c = await rawClient(r.port);
      c.write(hex('05 00'));
      expect(await c.readAll()).toEqual(hex('05 ff'));
      expect(r.stats.badHandshakes.map((b) => b.kind)).toEqual(['socks5-greeting']);
    });

    it('closes a slowloris SOCKS5 client at the handshake deadline although bytes keep coming', async () => {
      const r = await suite.start({ handshakeTimeoutMs: 1000 });
      const request = Buffer.concat([hex('05 01 00 05 01 00 03 ff'), Buffer.alloc(255, 0x61), hex('0050')]);
      const t = await trickle(r.port, request, 200);
      expect(t.closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(t.closedAfterMs).toBeLessThan(2000);
      expect(t.sent).toBeLessThan(request.length);
      // The greeting was answered before the deadline; nothing after it.
      expect(t.reply).toEqual(hex('05 00'));
      expect(r.stats.badHandshakes).toEqual([{ instanceId: 'mix', kind: 'timeout' }]);
    });

    it('closes a slowloris HTTP client at the handshake deadline', async () => {
      const r = await suite.start({ handshakeTimeoutMs: 1000 });
      const t = await trickle(r.port, Buffer.from(`GET http://127.0.0.1/ HTTP/1.1\r\n${'X-Pad: 1\r\n'.repeat(100)}\r\n`), 200);
      expect(t.closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(t.closedAfterMs).toBeLessThan(2000);
      expect(r.stats.badHandshakes).toEqual([{ instanceId: 'mix', kind: 'timeout' }]);
    });

    it('keeps serving normal clients after all kinds of abuse', async () => {
      const r = await suite.start({ handshakeTimeoutMs: 500 });
      const abusers = await Promise.all([hex('ff ff ff'), hex('05'), Buffer.from('GET http://x'), hex('05 01 00 05 02 00 01 7f000001 0050')].map(async (b) => {
        const c = await rawClient(r.port);
        c.write(b);
        return c;
      }));
      const viaSocks = await curl(['--socks5-hostname', r.address, `http://127.0.0.1:${suite.origin.port}/still`]);
      const viaHttp = await curl(['--proxy', `http://${r.address}`, `http://127.0.0.1:${suite.origin.port}/alive`]);
      expect(viaSocks.stdout.toString()).toBe('hello /still');
      expect(viaHttp.stdout.toString()).toBe('hello /alive');
      await Promise.all(abusers.map((c) => c.closed));
      expect(r.stats.badHandshakes.map((b) => b.kind).sort()).toEqual(['socks5-request', 'timeout', 'timeout', 'unknown-protocol']);
      expect(warnings(r)).toEqual([]);
    });
  });
});
