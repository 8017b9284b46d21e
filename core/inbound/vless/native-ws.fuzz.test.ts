import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontAddon } from '../../route/splice';
import { expectEveryPokeClosed, LOOPBACK_ONLY } from '../../test/fuzz-poke';
import { fuzz } from '../../test/mixed-codec-fuzz';
import { relayUser, startEcho, startVlessRig, until, vlessHeader } from '../../test/vless-in-harness';
import { clientFrame, serverFrames, upgradeRequest } from '../../test/ws-frames';

const ALICE = '11111111-2222-4333-8444-555555555555';
let echo: Awaited<ReturnType<typeof startEcho>>;
beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => { await echo.close(); });

describe.skipIf(frontAddon() === null)('native VLESS front fuzz, WebSocket', () => {
  const f = fuzz();

  it(`closes every mutated upgrade and frame stream within its deadlines, and keeps serving (seed ${f.seed})`, async () => {
    // Loopback only, as the TCP fuzz: anything but 127.0.0.0/8 and ::1 is blocked.
    const { route, lookup } = LOOPBACK_ONLY;
    const r = await startVlessRig({
      users: [relayUser('alice', ALICE)], transport: { type: 'ws', path: '/f' }, handshakeTimeoutMs: 300, idleTimeoutMs: 1000, udp: false,
    }, { route, lookup });
    try {
      const head = (path = '/f') => Buffer.from(upgradeRequest(path).head);
      const header = vlessHeader(ALICE, echo.port);
      const seeds = [
        Buffer.concat([head(), clientFrame(2, Buffer.concat([header, Buffer.from('ping')]))]),
        Buffer.concat([head('/f?ed=2048'), clientFrame(2, header.subarray(0, 5), false), clientFrame(9, Buffer.from('p')), clientFrame(0, header.subarray(5))]),
        Buffer.concat([head(), clientFrame(2, header), clientFrame(8, Buffer.from([3, 232]))]),
        Buffer.concat([head(), clientFrame(2, Buffer.alloc(70_000, 1))]),
        head('/other'),
      ];
      await expectEveryPokeClosed(f, r.port, seeds, { batches: 10, randomLen: 120, randomOneIn: 6 });
      // Still serving: an upgrade, the header and a payload, echoed after [0, 0].
      const c = net.connect({ host: '127.0.0.1', port: r.port });
      let got = Buffer.alloc(0);
      c.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); });
      c.write(Buffer.concat([head(), clientFrame(2, Buffer.concat([header, Buffer.from('after')]))]));
      await until(() => got.includes('after'), 'the echo after the fuzz');
      c.destroy();
      const frames = serverFrames(got.subarray(got.indexOf('\r\n\r\n') + 4));
      expect(Buffer.concat(frames.map((x) => x.payload)).toString('latin1')).toBe('\u0000\u0000after');
    } finally {
      await r.close();
    }
  }, 120_000);
});
