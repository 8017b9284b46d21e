import { isIP } from 'node:net';
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz } from '../test/mixed-codec-fuzz';
import { encodeAddress, formatIPv6, readAddress } from './address';

describe('address codec fuzz', () => {
  const f = fuzz();

  it(`formatIPv6 gives text that Node accepts and that encodes back to the same bytes (seed ${f.seed})`, () => {
    runFuzz(f, 20_000, (g) => {
      // Zero runs are what compression is about: make them common.
      const b = Buffer.alloc(16);
      for (let i = 0; i < 8; i++) if (g.int(2) === 0) b.writeUInt16BE(g.int(3) === 0 ? g.int(0x10000) : g.int(16), i * 2);
      return b;
    }, (bytes) => {
      const text = formatIPv6(bytes);
      assert.equal(isIP(text), 6);
      assert.equal(text, text.toLowerCase());
      assert.doesNotMatch(text, /(^|:)0[0-9a-f]/);
      assert.deepEqual(encodeAddress(text, 1).subarray(1, 17), bytes);
      // Node's own parser agrees on the value (URL canonicalises IPv6 hosts).
      if (!text.startsWith('::ffff:')) assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
    });
  });

  it('readAddress on mutated addresses never throws and round-trips what it accepts', () => {
    let ok = 0;
    const seeds = [encodeAddress('10.0.0.1', 80), encodeAddress('2001:db8::1', 443), encodeAddress('example.org', 8080)];
    runFuzz(f, 20_000, (g) => g.mutate(g.pick(seeds)), (input) => {
      const r = readAddress(input, 0);
      assert.ok(['ok', 'incomplete', 'invalid'].includes(r.kind), `unexpected ${r.kind}`);
      if (r.kind === 'ok' && !(r.atyp === 3 && r.host.includes(':'))) {
        ok++;
        assert.deepEqual(encodeAddress(r.host, r.port), input.subarray(0, r.end));
      }
    });
    assert.ok(ok > 20, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });
});
