import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { fuzz, runFuzz } from '../test/mixed-codec-fuzz';
import { MAX_HEAD_BYTES, decodeBasicAuth, hopByHopNames, parseAbsoluteTarget, parseAuthorityTarget, parseRequestHead } from './http1';

const N = 15_000;
const SEEDS = [
  'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dTpw\r\n\r\n',
  'GET http://127.0.0.1:8080/a?b=c HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\n\r\nbody',
  'POST http://[::1]/upload HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc',
].map((s) => Buffer.from(s, 'latin1'));
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

describe('http1 codec fuzz', () => {
  const f = fuzz();

  it(`parseRequestHead never throws and keeps its invariants (seed ${f.seed})`, () => {
    let ok = 0;
    runFuzz(f, N, (g, i) => (i % 3 === 0 ? g.textish(200) : g.mutate(g.pick(SEEDS))), (input) => {
      const r = parseRequestHead(input);
      assert.ok(['ok', 'incomplete', 'invalid'].includes(r.kind), `unexpected ${r.kind}`);
      if (r.kind === 'invalid') assert.ok([400, 431].includes(r.status), `unexpected ${r.status}`);
      if (r.kind === 'incomplete') assert.ok(input.length < MAX_HEAD_BYTES);
      if (r.kind === 'ok') {
        ok++;
        assert.equal(input.toString('latin1', r.end - 4, r.end), '\r\n\r\n');
        assert.match(r.method, TOKEN);
        for (const [name, value] of r.headers) {
          assert.match(name, TOKEN);
          assert.doesNotMatch(value, /[\r\n]/);
        }
        // Nothing shorter than the head can already be a complete head.
        for (let n = 0; n < r.end; n += 1 + f.int(7)) assert.notEqual(parseRequestHead(input.subarray(0, n)).kind, 'ok');
      }
    });
    assert.ok(ok > 20, `only ${ok} inputs parsed ok: the fuzzer does not reach the ok path`);
  });

  it('a huge head without the blank line is refused, never buffered forever', () => {
    runFuzz(f, 200, (g) => Buffer.concat([Buffer.from('GET http://a/ HTTP/1.1\r\n'), Buffer.alloc(MAX_HEAD_BYTES + g.int(4096), 'a')]), (input) => {
      const r = parseRequestHead(input);
      assert.equal(r.kind === 'invalid' && r.reason, 'header too large');
    });
  });

  it('target, hop-by-hop and Basic parsers never throw on random text', () => {
    runFuzz(f, N, (g) => (g.int(2) === 0 ? g.textish(60) : Buffer.from(`http://${g.textish(30).toString('latin1')}`)), (input) => {
      const text = input.toString('latin1');
      const a = parseAuthorityTarget(text);
      if (a) assert.ok(a.port >= 1);
      const t = parseAbsoluteTarget(text);
      if (t) {
        assert.equal(t.path.startsWith('/'), true);
        assert.ok(t.port <= 65535);
      }
      assert.equal(hopByHopNames(text).has('connection'), true);
      const auth = decodeBasicAuth(`Basic ${text}`);
      if (auth) assert.equal(typeof auth.password, 'string');
    });
  });
});
