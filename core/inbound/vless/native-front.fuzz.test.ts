import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeAvailable } from '../../route/splice';
import { expectEveryPokeClosed, LOOPBACK_ONLY } from '../../test/fuzz-poke';
import { fuzz } from '../../test/mixed-codec-fuzz';
import { relayUser, startEcho, startVlessRig, vlessHeader } from '../../test/vless-in-harness';

const ALICE = '11111111-2222-4333-8444-555555555555';
let echo: Awaited<ReturnType<typeof startEcho>>;
beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => { await echo.close(); });

describe.skipIf(!nativeAvailable())('native VLESS front fuzz', () => {
  const f = fuzz();

  it(`closes or relays every mutated header, never hangs past its deadlines, and keeps serving (seed ${f.seed})`, async () => {
    // Loopback only: other destinations are blocked and only "localhost" resolves. Relayed
    // connections idle out after 1 s (the echo answers whatever the payload was).
    const { route, lookup } = LOOPBACK_ONLY;
    const r = await startVlessRig({ users: [relayUser('alice', ALICE)], handshakeTimeoutMs: 300, idleTimeoutMs: 1000, udp: false, fallback: 'none' }, { route, lookup });
    try {
      const seeds = [
        Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.from('ping')]),
        vlessHeader(ALICE, echo.port, { address: { type: 'domain', host: 'localhost' } } as never),
        vlessHeader(ALICE, echo.port, { address: { type: 'ipv6', host: '::1' } } as never),
        vlessHeader('99999999-8888-4777-8666-555555555555', echo.port),
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      ];
      await expectEveryPokeClosed(f, r.port, seeds, { batches: 15, randomLen: 60 });
      const kinds = Object.keys(r.collector.badHandshakeCounts());
      expect(kinds.length).toBeGreaterThan(1); // the mutations reached both the native and the JS judges
      for (const k of kinds) expect(['vless-uuid', 'vless-version', 'vless-truncated', 'vless-command', 'vless-address', 'timeout', 'protocol']).toContain(k);
      const c = net.connect({ host: '127.0.0.1', port: r.port });
      c.write(Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.from('after')]));
      const got = await new Promise<Buffer>((res) => {
        let b = Buffer.alloc(0);
        c.on('data', (d: Buffer) => {
          b = Buffer.concat([b, d]);
          if (b.length >= 7) res(b);
        });
      });
      c.destroy();
      expect(got.subarray(0, 7).toString('latin1')).toBe('\u0000\u0000after');
    } finally {
      await r.close();
    }
  }, 120_000);
});
