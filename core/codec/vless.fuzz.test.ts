import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz, type Fuzz } from '../test/mixed-codec-fuzz';
import { REQUEST_SEEDS, TESTED_UDP_REPLY, UUID_HEX, hex } from '../test/vless-fixtures';
import { encodeRequest, parseRequest, parseResponse, type VlessRequest } from './vless';

const N = 20_000;
const REASONS = ['version', 'uuid', 'addons', 'command', 'address', 'truncated'];

/** Half mutated seeds, a quarter random bytes, a quarter valid prefixes around random protobuf addons. */
function gen(f: Fuzz, i: number): Buffer {
  if (i % 4 === 0) return f.bytes(64);
  if (i % 4 === 1) {
    const addons = f.int(2) === 0 ? f.bytes(24) : f.mutate(hex('0a 10 78746c732d727072782d766973696f6e 12 02 abcd'));
    const tail = f.pick([hex('01 01bb 01 7f000001'), hex('03'), hex('02 0035 02 03 616263'), f.bytes(8)]);
    return Buffer.concat([hex(`00 ${UUID_HEX}`), Buffer.from([addons.length]), addons, tail]);
  }
  return f.mutate(f.pick(REQUEST_SEEDS));
}

function assertShape(r: { kind: string; reason?: unknown; detail?: unknown }): void {
  assert.ok(['ok', 'incomplete', 'invalid'].includes(r.kind), `unexpected ${r.kind}`);
  if (r.kind === 'invalid') {
    assert.ok(REASONS.includes(r.reason as string), `unexpected reason ${String(r.reason)}`);
    assert.equal(typeof r.detail, 'string');
  }
}

/** What the header says, without where it ended. */
function meaning(r: VlessRequest) {
  return { uuidHex: r.uuidHex, flow: r.flow, command: r.command, port: r.port, address: r.address };
}

describe('vless codec fuzz', () => {
  const f = fuzz();

  it(`parseRequest never throws; ok headers re-encode to the same meaning (seed ${f.seed})`, () => {
    let ok = 0;
    runFuzz(f, N, gen, (input) => {
      const r = parseRequest(input);
      assertShape(r);
      const final = parseRequest(input, undefined, { final: true });
      assert.notEqual(final.kind, 'incomplete');
      if (r.kind !== 'ok') return;
      ok++;
      assert.ok(r.headerLength <= input.length);
      assert.equal(r.uuidHex, input.toString('hex', 1, 17));
      for (let n = 0; n < r.headerLength; n++) assert.notEqual(parseRequest(input.subarray(0, n)).kind, 'ok');
      const again = encodeRequest({ version: 0, uuid: r.uuid, flow: r.flow ?? '', command: r.command, port: r.port, address: r.address });
      const back = parseRequest(again);
      assert.equal(back.kind, 'ok');
      if (back.kind === 'ok') assert.deepEqual(meaning(back), meaning(r));
    });
    assert.ok(ok > 200, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });

  it('parseRequest consults lookupUser exactly when 17 bytes are there, and obeys it', () => {
    runFuzz(f, N, gen, (input) => {
      let calls = 0;
      const allow = f.int(2) === 0;
      const r = parseRequest(input, () => {
        calls++;
        return allow;
      });
      assertShape(r);
      if (input.length >= 17 && input[0] === 0) {
        assert.equal(calls, 1);
        if (!allow) assert.deepEqual([r.kind, r.kind === 'invalid' && r.reason], ['invalid', 'uuid']);
      } else {
        assert.equal(calls, 0);
      }
    });
  });

  it('parseResponse never throws and never claims more bytes than it has', () => {
    let ok = 0;
    const seeds = [TESTED_UDP_REPLY, hex('00 04 12 02 abcd'), hex('00 12 0a 10 78746c732d727072782d766973696f6e')];
    runFuzz(f, N, (g, i) => (i % 3 === 0 ? g.bytes(24) : g.mutate(g.pick(seeds))), (input) => {
      const r = parseResponse(input);
      assertShape(r);
      if (r.kind === 'ok') {
        ok++;
        assert.equal(r.headerLength, 2 + r.addonsLength);
        assert.ok(r.headerLength <= input.length);
      }
    });
    assert.ok(ok > 200, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });
});
