import { describe, expect, it } from 'vitest';
import {
  MAX_HEAD_BYTES, decodeBasicAuth, encodeBasicAuth, encodeSimpleResponse, filterRawHeaders, headerValue, hopByHopNames, hostHeaderFor,
  parseAbsoluteTarget, parseAuthorityTarget, parseRequestHead,
} from './http1';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('parseRequestHead', () => {
  it('parses a CONNECT head and says where the tunnel data starts', () => {
    const head = 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization:  Basic dTpw \r\n\r\n';
    const r = parseRequestHead(b(`${head}\x16\x03\x01`));
    expect(r).toEqual({
      kind: 'ok', method: 'CONNECT', target: 'example.com:443', version: '1.1',
      headers: [['Host', 'example.com:443'], ['Proxy-Authorization', 'Basic dTpw']], end: head.length,
    });
    if (r.kind === 'ok') expect(headerValue(r.headers, 'proxy-authorization')).toBe('Basic dTpw');
  });

  it('parses an absolute-form GET without headers, HTTP/1.0', () => {
    expect(parseRequestHead(b('GET http://a/ HTTP/1.0\r\n\r\n'))).toMatchObject({ kind: 'ok', method: 'GET', target: 'http://a/', version: '1.0', headers: [], end: 26 });
  });

  it('is incomplete on every strict prefix', () => {
    const full = 'GET http://a/ HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n';
    for (let n = 0; n < full.length; n++) expect(parseRequestHead(b(full.slice(0, n))).kind).toBe('incomplete');
    expect(parseRequestHead(b(full)).kind).toBe('ok');
  });

  it('rejects a bad request line as soon as it is complete', () => {
    for (const line of ['GET /x\r\n', 'GET  http://a/ HTTP/1.1\r\n', 'GET http://a/ HTTP/2.0\r\n', 'G(T / HTTP/1.1\r\n', 'GET / x HTTP/1.1\r\n', '\r\n']) {
      expect(parseRequestHead(b(line))).toMatchObject({ kind: 'invalid', status: 400 });
    }
  });

  it('rejects bad header lines: no name, folding, bad name, control characters', () => {
    const bad = ['X\r\n', ' folded\r\n', ': v\r\n', 'Bad Name: v\r\n', 'X: a\x01b\r\n'];
    for (const h of bad) expect(parseRequestHead(b(`GET http://a/ HTTP/1.1\r\n${h}\r\n`))).toMatchObject({ kind: 'invalid', status: 400 });
    expect(parseRequestHead(b('GET http://a/ HTTP/1.1\r\n folded\r\n\r\n'))).toMatchObject({ reason: 'obsolete header line folding' });
  });

  it('says "header too large" at 16 KiB without the blank line, and accepts a head just under it', () => {
    const start = 'GET http://a/ HTTP/1.1\r\nX: ';
    expect(parseRequestHead(b(start + 'a'.repeat(MAX_HEAD_BYTES)))).toEqual({ kind: 'invalid', reason: 'header too large', status: 431 });
    expect(parseRequestHead(b('G'.repeat(MAX_HEAD_BYTES)))).toMatchObject({ reason: 'header too large' });
    const fits = start + 'a'.repeat(MAX_HEAD_BYTES - start.length - 4) + '\r\n\r\n';
    expect(fits.length).toBe(MAX_HEAD_BYTES);
    expect(parseRequestHead(b(fits)).kind).toBe('ok');
    expect(parseRequestHead(b(`${fits.slice(0, -4)}a\r\n\r\n`))).toMatchObject({ reason: 'header too large' });
  });
});

describe('targets', () => {
  it('parses CONNECT authorities', () => {
    expect(parseAuthorityTarget('example.com:443')).toEqual({ host: 'example.com', port: 443 });
    expect(parseAuthorityTarget('[2001:db8::1]:8443')).toEqual({ host: '2001:db8::1', port: 8443 });
    for (const t of ['example.com', 'a:0', 'a:65536', '[zz]:1', '::1:80', 'a b:1', 'http://a:1', 'u@a:1']) expect(parseAuthorityTarget(t)).toBeNull();
  });

  it('parses absolute-form targets keeping the path as sent', () => {
    expect(parseAbsoluteTarget('http://example.com/a/../b?q=%41')).toEqual({ scheme: 'http', host: 'example.com', port: 80, path: '/a/../b?q=%41' });
    expect(parseAbsoluteTarget('HTTP://127.0.0.1:8080')).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8080, path: '/' });
    expect(parseAbsoluteTarget('http://[::1]:81?x#frag')).toEqual({ scheme: 'http', host: '::1', port: 81, path: '/?x' });
    expect(parseAbsoluteTarget('https://h/')).toMatchObject({ scheme: 'https', port: 443 });
    for (const t of ['/relative', 'ftp://a/', 'http://', 'http://u:p@a/', 'http://a:0/', 'http://[1.2.3.4]/', 'http://a b/']) expect(parseAbsoluteTarget(t)).toBeNull();
  });
});

describe('hopByHopNames', () => {
  it('lists the fixed names plus Connection tokens, minus kept ones', () => {
    const names = hopByHopNames(['close, X-Custom', ' keep-alive '], ['upgrade']);
    expect(names.has('x-custom')).toBe(true);
    expect(names.has('close')).toBe(true);
    expect(names.has('proxy-authorization')).toBe(true);
    expect(names.has('transfer-encoding')).toBe(true);
    expect(names.has('upgrade')).toBe(false);
    expect(names.has('content-length')).toBe(false);
  });
});

describe('Basic auth', () => {
  it('decodes what encodeBasicAuth writes, passwords with colons and UTF-8 included', () => {
    expect(decodeBasicAuth(encodeBasicAuth('user', 'pa:ss'))).toEqual({ username: 'user', password: 'pa:ss' });
    expect(decodeBasicAuth(encodeBasicAuth('ü', 'ö'))).toEqual({ username: 'ü', password: 'ö' });
    expect(decodeBasicAuth('basic dTpw')).toEqual({ username: 'u', password: 'p' });
  });

  it('returns null for other schemes, bad base64 and missing colons', () => {
    for (const v of [undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', 'Basic dQ', `Basic ${Buffer.from('nocolon').toString('base64')}`]) {
      expect(decodeBasicAuth(v)).toBeNull();
    }
  });
});

describe('encodeSimpleResponse', () => {
  it('writes a bare 200 for CONNECT and a closed plain-text error otherwise', () => {
    expect(encodeSimpleResponse(200, 'Connection established').toString()).toBe('HTTP/1.1 200 Connection established\r\n\r\n');
    expect(encodeSimpleResponse(407, 'Proxy Authentication Required', 'no\n', [['Proxy-Authenticate', 'Basic realm="RelayDesk"']]).toString()).toBe(
      'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="RelayDesk"\r\n'
      + 'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n',
    );
  });
});

describe('header rewriting helpers', () => {
  it('filterRawHeaders keeps order and case of what is not dropped', () => {
    const raw = ['Host', 'a', 'Connection', 'keep-alive, X-Hop', 'X-Hop', '1', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'];
    expect(filterRawHeaders(raw, hopByHopNames('keep-alive, X-Hop'))).toEqual(['Host', 'a', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2']);
  });

  it('hostHeaderFor omits default ports and brackets IPv6', () => {
    expect(hostHeaderFor({ scheme: 'http', host: 'a.b', port: 80 })).toBe('a.b');
    expect(hostHeaderFor({ scheme: 'http', host: '::1', port: 8080 })).toBe('[::1]:8080');
    expect(hostHeaderFor({ scheme: 'https', host: '1.2.3.4', port: 443 })).toBe('1.2.3.4');
  });
});
