import { describe, expect, it } from 'vitest';
import { PROXY_V1_MAX_LINE, encodeProxyV1, parseProxyV1 } from './proxy-protocol';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('encodeProxyV1', () => {
  it('writes the TCP4 line byte for byte (spec example)', () => {
    expect(encodeProxyV1({ address: '192.168.0.1', port: 56324 }, { address: '192.168.0.11', port: 443 })).toEqual(b('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'));
  });

  it('writes TCP6 in RFC 5952 form, without brackets or zone', () => {
    expect(encodeProxyV1({ address: '2001:DB8:0:0:0:0:0:1', port: 1 }, { address: '[::1]', port: 0 })).toEqual(b('PROXY TCP6 2001:db8::1 ::1 1 0\r\n'));
    expect(encodeProxyV1({ address: 'fe80::1%eth0', port: 65535 }, { address: 'fe80::2', port: 80 }).toString()).toBe('PROXY TCP6 fe80::1 fe80::2 65535 80\r\n');
  });

  it('sends IPv4-mapped IPv6 as TCP4, and UNKNOWN when the families differ or an address is no IP', () => {
    expect(encodeProxyV1({ address: '::ffff:10.0.0.1', port: 1000 }, { address: '10.0.0.2', port: 80 }).toString()).toBe('PROXY TCP4 10.0.0.1 10.0.0.2 1000 80\r\n');
    expect(encodeProxyV1({ address: '::FFFF:127.0.0.1', port: 1 }, { address: '::ffff:7f00:2', port: 2 }).toString()).toBe('PROXY TCP4 127.0.0.1 127.0.0.2 1 2\r\n');
    expect(encodeProxyV1({ address: '10.0.0.1', port: 1 }, { address: '::1', port: 2 }).toString()).toBe('PROXY UNKNOWN\r\n');
    expect(encodeProxyV1({ address: 'example.com', port: 1 }, { address: '10.0.0.1', port: 2 }).toString()).toBe('PROXY UNKNOWN\r\n');
  });

  it('refuses ports outside 0..65535', () => {
    expect(() => encodeProxyV1({ address: '1.2.3.4', port: 65536 }, { address: '1.2.3.4', port: 1 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => encodeProxyV1({ address: '1.2.3.4', port: 1 }, { address: '1.2.3.4', port: 1.5 })).toThrow(/outside/);
  });

  it('fits the longest line in 107 bytes', () => {
    const v6 = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const line = encodeProxyV1({ address: v6, port: 65535 }, { address: v6, port: 65535 });
    expect(line.length).toBe(104);
    expect(line.length).toBeLessThanOrEqual(PROXY_V1_MAX_LINE);
  });
});

describe('parseProxyV1', () => {
  it('reads TCP4 and TCP6 lines and says where the payload starts', () => {
    const head = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
    expect(parseProxyV1(b(`${head}GET / HTTP/1.1\r\n`))).toEqual({
      kind: 'ok', protocol: 'TCP4', source: { address: '192.168.0.1', port: 56324 }, destination: { address: '192.168.0.11', port: 443 }, end: head.length,
    });
    expect(parseProxyV1(b('PROXY TCP6 2001:db8::1 ::1 0 65535\r\n'))).toMatchObject({ kind: 'ok', protocol: 'TCP6', source: { address: '2001:db8::1', port: 0 }, destination: { address: '::1', port: 65535 } });
  });

  it('reads UNKNOWN with or without addresses, ignoring the rest of the line', () => {
    expect(parseProxyV1(b('PROXY UNKNOWN\r\nxyz'))).toEqual({ kind: 'ok', protocol: 'UNKNOWN', end: 15 });
    expect(parseProxyV1(b('PROXY UNKNOWN ffff::1 whatever 1 2\r\n'))).toMatchObject({ kind: 'ok', protocol: 'UNKNOWN', end: 36 });
  });

  it('round-trips what encodeProxyV1 writes', () => {
    for (const [s, d] of [['1.2.3.4', '5.6.7.8'], ['::', '::ffff:1:2'], ['10.0.0.1', '::1']] as const) {
      const line = encodeProxyV1({ address: s, port: 1234 }, { address: d, port: 80 });
      const r = parseProxyV1(line);
      expect(r).toMatchObject({ kind: 'ok', end: line.length });
      if (r.kind === 'ok' && r.protocol !== 'UNKNOWN') expect(encodeProxyV1(r.source!, r.destination!)).toEqual(line);
    }
  });

  it('is incomplete on every strict prefix, and invalid at once on a wrong prefix', () => {
    const full = 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n';
    for (let n = 0; n < full.length; n++) expect(parseProxyV1(b(full.slice(0, n)))).toEqual({ kind: 'incomplete' });
    expect(parseProxyV1(b('GET '))).toMatchObject({ kind: 'invalid' });
    expect(parseProxyV1(b('PROXZ'))).toMatchObject({ kind: 'invalid' });
    expect(parseProxyV1(b('\r\n\r\n\x00\r\nQUIT\n'))).toMatchObject({ kind: 'invalid' });
  });

  it('rejects lines off the grammar', () => {
    const bad = [
      'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', 'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n',
      'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n', 'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
      'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n',
      'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', 'PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n', 'PROXY \r\n', 'PROXY TCP4\r\n',
    ];
    for (const line of bad) expect(parseProxyV1(b(line)), JSON.stringify(line)).toMatchObject({ kind: 'invalid' });
  });

  it('gives up without CRLF in the first 107 bytes', () => {
    expect(parseProxyV1(b(`PROXY UNKNOWN ${'x'.repeat(91)}\r\n`))).toMatchObject({ kind: 'ok', end: 107 });
    expect(parseProxyV1(b(`PROXY UNKNOWN ${'x'.repeat(92)}\r\n`))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('107') });
    expect(parseProxyV1(b(`PROXY UNKNOWN ${'x'.repeat(92)}`))).toEqual({ kind: 'incomplete' });
    expect(parseProxyV1(b(`PROXY UNKNOWN ${'x'.repeat(93)}`))).toMatchObject({ kind: 'invalid' });
  });
});
