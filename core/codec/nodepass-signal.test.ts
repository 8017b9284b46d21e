import { describe, expect, it } from 'vitest';
import { NODEPASS_VECTORS } from '../test/nodepass-vectors';
import { xorWithKey } from './nodepass-key';
import { MAX_SIGNAL_LINE, SignalLineSplitter, decodeSignal, encodeSignal, encodeSignalJson, type NodePassSignal } from './nodepass-signal';

/** A control line for arbitrary JSON text, built by hand (not with encodeSignal). */
const lineFor = (json: string, key: string) => xorWithKey(Buffer.from(json, 'utf8'), key).toString('base64');

describe('control line vectors', () => {
  for (const c of NODEPASS_VECTORS.cases) {
    for (const v of c.signals) {
      it(`key ${c.tunnelKey}: ${v.json}`, () => {
        const signal = JSON.parse(v.json) as NodePassSignal;
        expect(encodeSignalJson(signal)).toBe(v.json);
        expect(encodeSignal(signal, c.tunnelKey)).toBe(`${v.line}\n`);
        expect(Buffer.from(encodeSignal(signal, c.tunnelKey), 'latin1')).toEqual(Buffer.from(`${v.line}\n`, 'latin1'));
        expect(decodeSignal(`${v.line}\n`, c.tunnelKey)).toEqual({ ok: true, signal });
        expect(decodeSignal(v.line, c.tunnelKey)).toEqual({ ok: true, signal });
        expect(decodeSignal(Buffer.from(`${v.line}\n`), c.tunnelKey)).toEqual({ ok: true, signal });
      });
    }
  }
});

describe('encodeSignalJson (Go encoding/json of Signal)', () => {
  it('writes action, remote, id, fp in that order whatever the object order, omitting empty fields', () => {
    const fp = `sha256:${'AB:'.repeat(31)}AB`;
    expect(encodeSignalJson({ fp, id: '00000000', action: 'verify' })).toBe(`{"action":"verify","id":"00000000","fp":"${fp}"}`);
    expect(encodeSignalJson({ action: 'udp', id: '', remote: '[::1]:53', fp: '' })).toBe('{"action":"udp","remote":"[::1]:53"}');
    expect(encodeSignalJson({ action: 'flush' })).toBe('{"action":"flush"}');
  });

  it('escapes like Go: HTML characters, U+2028/9, control characters, lone surrogates', () => {
    expect(encodeSignalJson({ action: 'a<b>&c' })).toBe('{"action":"a\\u003cb\\u003e\\u0026c"}');
    expect(encodeSignalJson({ action: 'x\u2028\u2029' })).toBe('{"action":"x\\u2028\\u2029"}');
    expect(encodeSignalJson({ action: 'q"\\\n\t\x01\x7f' })).toBe('{"action":"q\\"\\\\\\n\\t\\u0001\x7f"}');
    expect(encodeSignalJson({ action: 'é😀' })).toBe('{"action":"é😀"}');
    expect(encodeSignalJson({ action: 'a\ud800b' })).toBe('{"action":"a\ufffdb"}');
  });
});

describe('decodeSignal', () => {
  const key = 'e68be2b4';

  it('round-trips every action with every field', () => {
    const signals: NodePassSignal[] = [
      { action: 'tcp', remote: '203.0.113.5:40000', id: '1a2b3c4d' }, { action: 'udp', remote: '[2001:db8::1]:5353', id: 'ffffffff' },
      { action: 'ping' }, { action: 'pong' }, { action: 'flush' }, { action: 'verify', id: '00000000', fp: 'sha256:00:11' },
    ];
    for (const s of signals) expect(decodeSignal(encodeSignal(s, 'mysecret'), 'mysecret')).toEqual({ ok: true, signal: s });
  });

  it('reads JSON the way Go unmarshals it into Signal', () => {
    const dec = (json: string) => decodeSignal(lineFor(json, key), key);
    expect(dec('{"Action":"tcp","REMOTE":"1.2.3.4:5","Id":"x","fP":"y"}')).toEqual({ ok: true, signal: { action: 'tcp', remote: '1.2.3.4:5', id: 'x', fp: 'y' } });
    expect(dec(' {"extra":[1,{"a":2}],"action":"ping","remote":null,"id":""} ')).toEqual({ ok: true, signal: { action: 'ping' } });
    expect(dec('{"action":"tcp","action":"udp"}')).toEqual({ ok: true, signal: { action: 'udp' } });
    expect(dec('{"action":"newer-action"}')).toEqual({ ok: true, signal: { action: 'newer-action' } });
    expect(dec('{"action":"\\u003c"}')).toEqual({ ok: true, signal: { action: '<' } });
  });

  it('tolerates CR/LF inside the base64, as Go does', () => {
    const line = encodeSignal({ action: 'tcp', remote: '203.0.113.5:40000', id: '1a2b3c4d' }, key).trimEnd();
    expect(decodeSignal(`${line.slice(0, 10)}\r\n${line.slice(10)}\r\n`, key)).toMatchObject({ ok: true, signal: { action: 'tcp' } });
  });

  it('names what is wrong', () => {
    const dec = (json: string) => decodeSignal(lineFor(json, key), key);
    expect(decodeSignal('not base64!\n', key)).toEqual({ ok: false, error: 'control line is not padded standard base64' });
    expect(decodeSignal('HhRZARFbDVpHDBoSDFwFFhg', key)).toMatchObject({ ok: false, error: expect.stringContaining('base64') });
    expect(decodeSignal('HhRZARFbDVpHDBoSDFwFFhg=', 'wrongkey')).toMatchObject({ ok: false, error: expect.stringContaining('wrong key') });
    expect(decodeSignal('\n', key)).toMatchObject({ ok: false, error: expect.stringContaining('not JSON') });
    expect(dec('[1]')).toEqual({ ok: false, error: 'control signal is not a JSON object' });
    expect(dec('null')).toEqual({ ok: false, error: 'control signal is not a JSON object' });
    expect(dec('{"remote":"1.2.3.4:5"}')).toEqual({ ok: false, error: 'control signal has no "action"' });
    expect(dec('{"action":""}')).toEqual({ ok: false, error: 'control signal has no "action"' });
    expect(dec('{"action":"tcp","id":7}')).toEqual({ ok: false, error: 'control signal field "id" is not a string' });
    expect(decodeSignal('HhRZARFbDVpHDBoSDFwFFhg=', '')).toEqual({ ok: false, error: 'tunnel key is empty' });
  });
});

describe('SignalLineSplitter', () => {
  const key = 'mysecret';
  const lines = [encodeSignal({ action: 'ping' }, key), encodeSignal({ action: 'tcp', remote: '10.0.0.1:1234', id: 'abcdef01' }, key), encodeSignal({ action: 'pong' }, key)];
  const stream = Buffer.from(lines.join(''), 'latin1');

  it('yields the same lines whatever the chunking, without the newline', () => {
    const want = lines.map((l) => l.slice(0, -1));
    for (const size of [1, 2, 3, 7, 16, stream.length]) {
      const s = new SignalLineSplitter();
      const got: string[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const r = s.push(stream.subarray(i, i + size));
        expect(r.ok).toBe(true);
        got.push(...r.lines);
      }
      expect(got).toEqual(want);
      expect(s.pending).toBe(0);
      expect(got.map((l) => decodeSignal(l, key))).toMatchObject([{ ok: true }, { ok: true }, { ok: true }]);
    }
  });

  it('keeps a partial line until its newline arrives, copying it away from the caller buffer', () => {
    const s = new SignalLineSplitter();
    const chunk = Buffer.from('abc');
    expect(s.push(chunk)).toEqual({ ok: true, lines: [] });
    chunk.fill(0x7a);
    expect(s.pending).toBe(3);
    expect(s.push(Buffer.from('d\n\nef\ng'))).toEqual({ ok: true, lines: ['abcd', '', 'ef'] });
    expect(s.pending).toBe(1);
  });

  it('fails on a line longer than the limit, then stays failed until reset', () => {
    const s = new SignalLineSplitter(8);
    expect(s.push(Buffer.from('12345678\n'))).toEqual({ ok: true, lines: ['12345678'] });
    expect(s.push(Buffer.from('ok\n12345'))).toEqual({ ok: true, lines: ['ok'] });
    expect(s.push(Buffer.from('6789\nnext\n'))).toEqual({ ok: false, lines: [], error: 'control line longer than 8 bytes' });
    expect(s.push(Buffer.from('x\n'))).toMatchObject({ ok: false, lines: [] });
    s.reset();
    expect(s.push(Buffer.from('x\n'))).toEqual({ ok: true, lines: ['x'] });
    expect(new SignalLineSplitter(4).push(Buffer.from('a\n123456'))).toEqual({ ok: false, lines: ['a'], error: 'control line longer than 4 bytes' });
  });

  it('bounds memory with the default limit when no newline ever comes', () => {
    const s = new SignalLineSplitter();
    const chunk = Buffer.alloc(4096, 0x41);
    let r = s.push(chunk);
    let pushes = 1;
    while (r.ok) {
      r = s.push(chunk);
      pushes++;
    }
    expect(pushes).toBe(Math.floor(MAX_SIGNAL_LINE / 4096) + 1);
    expect(s.pending).toBe(0);
  });
});
