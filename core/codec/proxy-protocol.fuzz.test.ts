import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'vitest';
import { fuzz, runFuzz } from '../test/mixed-codec-fuzz';
import { PROXY_V1_MAX_LINE, encodeProxyV1, parseProxyV1 } from './proxy-protocol';

const SEEDS = [
  'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n', 'PROXY TCP6 2001:db8::1 ::ffff:1.2.3.4 0 65535\r\n', 'PROXY UNKNOWN\r\n',
].map((s) => Buffer.from(s, 'latin1'));

describe('PROXY v1 fuzz', () => {
  const f = fuzz();

  it(`parseProxyV1 never throws and keeps its invariants (seed ${f.seed})`, () => {
    let ok = 0;
    runFuzz(f, 20_000, (g, i) => (i % 4 === 0 ? g.textish(130) : g.mutate(g.pick(SEEDS))), (input) => {
      const r = parseProxyV1(input);
      assert.ok(['ok', 'incomplete', 'invalid'].includes(r.kind));
      if (r.kind === 'incomplete') assert.ok(input.length < PROXY_V1_MAX_LINE);
      if (r.kind !== 'ok') return;
      ok++;
      assert.ok(r.end <= PROXY_V1_MAX_LINE);
      assert.equal(input.toString('latin1', r.end - 2, r.end), '\r\n');
      assert.equal(input.subarray(0, r.end - 2).indexOf(0x0a), -1);
      if (r.protocol !== 'UNKNOWN') {
        const family = r.protocol === 'TCP4' ? 4 : 6;
        assert.equal(isIP(r.source!.address), family);
        assert.equal(isIP(r.destination!.address), family);
        // The encoder writes canonical text; what it writes must parse back to the same endpoints.
        const again = parseProxyV1(encodeProxyV1(r.source!, r.destination!));
        assert.equal(again.kind, 'ok');
      }
    });
    assert.ok(ok > 50, `only ${ok} inputs parsed ok`);
  });

  it('encodeProxyV1 output always parses back to its endpoints', () => {
    runFuzz(f, 5_000, (g) => g.bytes(36), (bytes) => {
      if (bytes.length < 36) return;
      const v4 = (o: number) => `${bytes[o]}.${bytes[o + 1]}.${bytes[o + 2]}.${bytes[o + 3]}`;
      const v6 = (o: number) => Array.from({ length: 8 }, (_, k) => bytes.readUInt16BE(o + 2 * k).toString(16)).join(':');
      const fam = bytes[0]! % 2 === 0;
      const src = { address: fam ? v4(0) : v6(0), port: bytes.readUInt16BE(32) };
      const dst = { address: fam ? v4(16) : v6(16), port: bytes.readUInt16BE(34) };
      const line = encodeProxyV1(src, dst);
      const r = parseProxyV1(line);
      assert.equal(r.kind, 'ok');
      if (r.kind !== 'ok') return;
      assert.equal(r.end, line.length);
      if (r.protocol === 'UNKNOWN') return;
      assert.equal(r.source!.port, src.port);
      assert.equal(r.destination!.port, dst.port);
    });
  });
});
