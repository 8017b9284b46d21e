import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz } from '../test/mixed-codec-fuzz';
import { ATYP_DOMAIN, encodeAddress, readAddress } from './address';
import { parseAuth, parseGreeting, parseRequest, parseUdpDatagram } from './socks5';

const N = 20_000;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Valid messages the mutations start from. */
const SEEDS = [
  hex('05 01 00'), hex('05 02 00 02'),
  hex('01 04 75736572 06 736563726574'),
  hex('05 01 00 01 7f000001 0050'), hex('05 01 00 03 0b 6578616d706c652e636f6d 01bb'),
  hex('05 03 00 04 20010db8000000000000000000000001 0035'),
  hex('0000 00 01 08080808 0035 abcdef'), hex('0000 00 03 09 6c6f63616c686f7374 0007 00'),
];

function assertShape(r: { kind: string; reason?: unknown }): void {
  assert.ok(['ok', 'incomplete', 'invalid'].includes(r.kind), `unexpected ${r.kind}`);
  if (r.kind === 'invalid') assert.equal(typeof r.reason, 'string');
}

/** An `ok` message ending at `end` must be `incomplete` on every shorter prefix. */
function assertPrefixesNotOk(parse: (b: Buffer) => { kind: string }, input: Buffer, end: number): void {
  for (let n = 0; n < end; n++) {
    const r = parse(input.subarray(0, n));
    // A shorter prefix may already show a bad version byte; it may never be `ok`.
    assert.notEqual(r.kind, 'ok');
  }
}

describe('socks5 codec fuzz', () => {
  const f = fuzz();
  const gen = (g: typeof f, i: number) => (i % 3 === 0 ? g.bytes(64) : g.mutate(g.pick(SEEDS)));

  it(`parseGreeting never throws and keeps its invariants (seed ${f.seed})`, () => {
    let ok = 0;
    runFuzz(f, N, gen, (input) => {
      const r = parseGreeting(input);
      assertShape(r);
      if (r.kind === 'ok') {
        ok++;
        assert.ok(r.end <= input.length);
        assert.equal(r.methods.length, input[1]!);
        assertPrefixesNotOk(parseGreeting, input, r.end);
      }
    });
    assert.ok(ok > 20, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });

  it('parseAuth never throws and keeps its invariants', () => {
    let ok = 0;
    runFuzz(f, N, gen, (input) => {
      const r = parseAuth(input);
      assertShape(r);
      if (r.kind === 'ok') {
        ok++;
        assert.equal(r.end, 3 + r.username.length + r.password.length);
        assert.ok(r.end <= input.length);
        assertPrefixesNotOk(parseAuth, input, r.end);
      }
    });
    assert.ok(ok > 20, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });

  it('parseRequest never throws; ok requests re-encode to the bytes they came from', () => {
    let ok = 0;
    runFuzz(f, N, gen, (input) => {
      const r = parseRequest(input);
      assertShape(r);
      if (r.kind === 'invalid') assert.ok([1, 8].includes(r.rep), `unexpected ${r.rep}`);
      if (r.kind === 'ok') {
        ok++;
        assert.ok(r.dst.port >= 0);
        assert.ok(r.dst.port <= 65535);
        assertPrefixesNotOk(parseRequest, input, r.end);
        const unwrapped = r.atyp === ATYP_DOMAIN && r.dst.host.includes(':');
        // IPv6 text is canonical, so writing it back must give the same 16 bytes.
        if (!unwrapped) assert.deepEqual(encodeAddress(r.dst.host, r.dst.port), input.subarray(3, r.end));
      }
    });
    assert.ok(ok > 20, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });

  it('parseUdpDatagram never throws; payload is exactly the bytes after the header', () => {
    let ok = 0;
    runFuzz(f, N, gen, (input) => {
      const r = parseUdpDatagram(input);
      assert.ok(['ok', 'invalid'].includes(r.kind), `unexpected ${r.kind}`);
      if (r.kind === 'ok') {
        ok++;
        assert.equal(input[2], 0);
        const addr = readAddress(input, 3);
        assert.equal(addr.kind, 'ok');
        if (addr.kind === 'ok') assert.deepEqual(r.payload, input.subarray(addr.end));
      }
    });
    assert.ok(ok > 20, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });

  it('readAddress at random offsets never throws and never reads past the buffer', () => {
    let ok = 0;
    runFuzz(f, N, (g) => g.bytes(40), (input) => {
      const r = readAddress(input, f.int(input.length + 2));
      assertShape(r);
      if (r.kind === 'ok') {
        ok++;
        assert.ok(r.end <= input.length);
      }
    });
    assert.ok(ok > 20, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });
});
