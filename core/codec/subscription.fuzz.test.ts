import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz, type Fuzz } from '../test/mixed-codec-fuzz';
import { GOOD_LINKS } from '../test/vless-fixtures';
import { parseSubscription } from './subscription';

const BODY = Buffer.from([...GOOD_LINKS, 'vmess://abc', 'ss://x@y:1'].join('\n'));

/** Mutated plain bodies, mutated base64 bodies and random text. */
function gen(f: Fuzz, i: number): Buffer {
  if (i % 3 === 0) return f.textish(200);
  if (i % 3 === 1) return f.mutate(BODY);
  const b64 = Buffer.from(BODY.toString(f.int(2) === 0 ? 'base64' : 'base64url'));
  return f.mutate(b64);
}

describe('subscription fuzz', () => {
  const f = fuzz();

  it(`never throws; every error has a line number and a message (seed ${f.seed})`, () => {
    let profiles = 0;
    runFuzz(f, 4_000, gen, (input) => {
      const r = parseSubscription(input.toString(f.int(2) === 0 ? 'latin1' : 'utf8'));
      assert.ok(r.encoding === 'plain' || r.encoding === 'base64');
      for (const e of r.errors) {
        assert.ok(Number.isInteger(e.line) && e.line >= 0);
        assert.ok(e.error.length > 0);
      }
      for (const p of r.profiles) assert.match(p.link, /^vless:\/\//i);
      profiles += r.profiles.length;
    });
    assert.ok(profiles > 1000, `only ${profiles} profiles found: the fuzzer does not reach the link parser`);
  });
});
