import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz } from '../test/mixed-codec-fuzz';
import { UdpFrameDecoder, encodeUdpFrame } from './vless-udp';

describe('vless UDP framing fuzz', () => {
  const f = fuzz();

  it(`random payloads cut into random chunks come out whole and in order (seed ${f.seed})`, () => {
    runFuzz(f, 2_000, (g) => g.bytes(32), (seedBytes) => {
      const payloads = Array.from({ length: 1 + f.int(6) }, () => (f.int(8) === 0 ? Buffer.alloc(f.int(70_000), seedBytes[0] ?? 7) : f.bytes(600)))
        .map((p) => p.subarray(0, 65535));
      const stream = Buffer.concat([...payloads.map(encodeUdpFrame), seedBytes.subarray(0, 1)]);
      const d = new UdpFrameDecoder();
      const got: Buffer[] = [];
      for (let at = 0; at < stream.length;) {
        const n = f.int(4) === 0 ? 1 + f.int(3) : 1 + f.int(5000);
        got.push(...d.push(stream.subarray(at, at + n)));
        at += n;
      }
      assert.equal(got.length, payloads.length);
      for (let i = 0; i < got.length; i++) assert.ok(got[i]!.equals(payloads[i]!), `frame ${i} differs`);
      assert.equal(d.pending, seedBytes.length > 0 ? 1 : 0);
    });
  });

  it('arbitrary bytes never throw and account for every byte', () => {
    runFuzz(f, 5_000, (g) => g.bytes(300), (input) => {
      const d = new UdpFrameDecoder();
      let consumed = 0;
      for (let at = 0; at < input.length;) {
        const n = 1 + f.int(40);
        for (const p of d.push(input.subarray(at, at + n))) consumed += 2 + p.length;
        at += n;
      }
      assert.equal(consumed + d.pending, input.length);
    });
  });
});
