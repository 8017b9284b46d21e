import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontAddon, frontTls } from '../../route/splice';
import { expectEveryPokeClosed } from '../../test/fuzz-poke';
import { fuzz } from '../../test/mixed-codec-fuzz';
import { relayUser, startEcho, startVlessRig, vlessHeader } from '../../test/vless-in-harness';

const ALICE = '11111111-2222-4333-8444-555555555555';
let echo: Awaited<ReturnType<typeof startEcho>>;
beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => { await echo.close(); });

/** The first flight a Node TLS client sends (a ClientHello), caught by a plain TCP listener. */
async function clientHello(): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const hello = new Promise<Buffer>((res) => server.once('connection', (s) => s.once('data', (b: Buffer) => { res(b); s.destroy(); })));
  const c = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, servername: 'localhost', rejectUnauthorized: false });
  c.on('error', () => undefined);
  const b = await hello;
  c.destroy();
  await new Promise((res) => server.close(res));
  return b;
}

const addon = frontAddon();

describe.skipIf(addon === null || !frontTls(addon))('native VLESS front fuzz, TLS', () => {
  const f = fuzz();

  it(`closes every mutated or cut TLS handshake within its deadline, counts it, and keeps serving (seed ${f.seed})`, async () => {
    const r = await startVlessRig({ users: [relayUser('alice', ALICE)], tls: {}, handshakeTimeoutMs: 300, idleTimeoutMs: 1000, udp: false });
    try {
      const hello = await clientHello();
      const seeds = [hello, hello.subarray(0, 40), Buffer.concat([hello, Buffer.from([0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5])])];
      await expectEveryPokeClosed(f, r.port, seeds, { batches: 8, randomLen: 200 });
      const kinds = Object.keys(r.collector.badHandshakeCounts());
      expect(kinds.length).toBeGreaterThan(0);
      for (const k of kinds) expect(['protocol', 'timeout']).toContain(k);
      // Still serving: a real client relays through it.
      const c = tls.connect({ host: '127.0.0.1', port: r.port, servername: 'localhost', rejectUnauthorized: false });
      c.write(Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.from('after')]));
      const got = await new Promise<Buffer>((res, rej) => {
        let b = Buffer.alloc(0);
        c.on('data', (d: Buffer) => {
          b = Buffer.concat([b, d]);
          if (b.length >= 7) res(b);
        });
        c.on('error', rej);
      });
      c.destroy();
      expect(got.subarray(0, 7).toString('latin1')).toBe('\u0000\u0000after');
    } finally {
      await r.close();
    }
  }, 120_000);
});
