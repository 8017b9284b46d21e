import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz } from '../test/mixed-codec-fuzz';
import { NODEPASS_VECTORS } from '../test/nodepass-vectors';
import { xorWithKey } from './nodepass-key';
import { SignalLineSplitter, decodeSignal, encodeSignal } from './nodepass-signal';

const N = 20_000;
const KEY = 'e68be2b4';
const LINES = NODEPASS_VECTORS.cases[0]!.signals.map((s) => Buffer.from(s.line, 'latin1'));
const JSONS = ['{"action":"tcp","remote":"203.0.113.5:40000","id":"1a2b3c4d"}', '{"action":"verify","id":"00000000","fp":"sha256:AB:CD"}', '{"action":"ping"}']
  .map((j) => Buffer.from(j));

describe('nodepass control line fuzz', () => {
  const f = fuzz();

  it(`decodeSignal never throws; what it accepts re-encodes to an equal signal (seed ${f.seed})`, () => {
    let ok = 0;
    runFuzz(f, N, (g, i) => {
      // Mutate the base64 text, or mutate the JSON under a valid XOR+base64 wrapping, or pure noise.
      if (i % 3 === 0) return g.mutate(g.pick(LINES));
      if (i % 3 === 1) return Buffer.from(xorWithKey(g.mutate(g.pick(JSONS)), KEY).toString('base64'), 'latin1');
      return g.textish(120);
    }, (input) => {
      const r = decodeSignal(input, KEY);
      if (!r.ok) {
        assert.equal(typeof r.error, 'string');
        return;
      }
      ok++;
      assert.ok(r.signal.action.length > 0);
      for (const v of Object.values(r.signal)) assert.equal(typeof v, 'string');
      assert.deepEqual(decodeSignal(encodeSignal(r.signal, KEY), KEY), r);
    });
    assert.ok(ok > 200, `only ${ok} inputs decoded: the fuzzer does not reach the ok path`);
  });

  it('SignalLineSplitter gives the newline-split lines for random streams and chunkings', () => {
    runFuzz(f, 3_000, (g) => g.textish(400), (input) => {
      const s = new SignalLineSplitter(64);
      const got: string[] = [];
      let failed = false;
      for (let at = 0; at < input.length && !failed;) {
        const n = 1 + f.int(50);
        const r = s.push(input.subarray(at, at + n));
        got.push(...r.lines);
        failed = !r.ok;
        at += n;
      }
      const parts = input.toString('latin1').split('\n');
      const complete = parts.slice(0, -1);
      const firstLong = parts.findIndex((p) => p.length > 64);
      if (firstLong < 0) {
        assert.equal(failed, false);
        assert.deepEqual(got, complete);
        assert.equal(s.pending, parts[parts.length - 1]!.length);
      } else {
        assert.equal(failed, true);
        assert.deepEqual(got, complete.slice(0, firstLong));
      }
    });
  });
});
