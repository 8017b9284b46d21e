import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz, type Fuzz } from '../test/mixed-codec-fuzz';
import { GOOD_LINKS } from '../test/vless-fixtures';
import { emitVlessLink, parseVlessLink } from './vless-link';

const N = 10_000;
const PARTS = ['?', '&', '#', '@', ':', '[', ']', '%', '%2F', '%E6%97', '=', 'type=ws', 'security=tls', 'path=', 'alpn=h2,', 'allowInsecure=1', 'host=', 'sni='];

/** Mutated real links (bytes and whole parameters), and random text after the scheme. */
function gen(f: Fuzz, i: number): Buffer {
  const seed = Buffer.from(f.pick(GOOD_LINKS), 'utf8');
  if (i % 4 === 0) return Buffer.concat([Buffer.from('vless://'), f.textish(80)]);
  if (i % 4 === 1) {
    const at = f.int(seed.length + 1);
    return Buffer.concat([seed.subarray(0, at), Buffer.from(f.pick(PARTS)), seed.subarray(at)]);
  }
  return f.mutate(seed);
}

describe('vless link fuzz', () => {
  const f = fuzz();

  it(`parse never throws; every ok profile emits a link that parses back to it (seed ${f.seed})`, () => {
    let ok = 0;
    runFuzz(f, N, gen, (input) => {
      const link = input.toString(f.int(2) === 0 ? 'latin1' : 'utf8');
      const r = parseVlessLink(link);
      if (!r.ok) {
        assert.equal(typeof r.error, 'string');
        assert.ok(r.error.length > 0);
        return;
      }
      ok++;
      assert.ok(r.warnings.every((w) => typeof w === 'string' && w.length > 0));
      assert.match(r.profile.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.ok(r.profile.port >= 1 && r.profile.port <= 65535);
      const back = parseVlessLink(emitVlessLink(r.profile));
      assert.ok(back.ok, back.ok ? '' : back.error);
      assert.deepEqual(back.profile, r.profile);
    });
    assert.ok(ok > 500, `only ${ok} links parsed ok: the fuzzer does not reach the ok path`);
  });
});
