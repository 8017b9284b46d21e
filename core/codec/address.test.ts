import { describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { addressLength, encodeAddress, formatIPv6, readAddress, unmapIPv4, writeAddress } from './address';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('readAddress', () => {
  it('reads IPv4, domain and IPv6 at an offset and reports where the port ends', () => {
    expect(readAddress(hex('ff ff 01 7f000001 1f90 aa'), 2)).toEqual({ kind: 'ok', atyp: 1, host: '127.0.0.1', port: 8080, end: 9 });
    expect(readAddress(hex('03 0b 6578616d706c652e636f6d 01bb'), 0)).toEqual({ kind: 'ok', atyp: 3, host: 'example.com', port: 443, end: 15 });
    expect(readAddress(hex('04 20010db8000000000000000000000001 0050'), 0)).toEqual({ kind: 'ok', atyp: 4, host: '2001:db8::1', port: 80, end: 19 });
  });

  it('says incomplete for every strict prefix of a valid address', () => {
    for (const full of [hex('01 0a000001 0035'), hex('03 03 616263 0050'), hex('04 00000000000000000000000000000001 0001')]) {
      for (let n = 0; n < full.length; n++) expect(readAddress(full.subarray(0, n), 0)).toEqual({ kind: 'incomplete' });
      expect(readAddress(full, 0).kind).toBe('ok');
    }
  });

  it('rejects an unknown ATYP (naming it), an empty domain and non-printable domain bytes', () => {
    expect(readAddress(hex('02 00000000'), 0)).toMatchObject({ kind: 'invalid', badAtyp: 2, reason: 'unsupported address type 0x02' });
    expect(readAddress(hex('03 00 0050'), 0)).toMatchObject({ kind: 'invalid', reason: 'empty domain name' });
    expect(readAddress(hex('03 03 610a62 0050'), 0)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('0x0a') });
    expect(readAddress(hex('03 02 c3a9 0050'), 0).kind).toBe('invalid');
  });

  it('unwraps a bracketed IPv6 literal sent as a domain', () => {
    const b = Buffer.concat([hex('03 05'), Buffer.from('[::1]'), hex('0050')]);
    expect(readAddress(b, 0)).toMatchObject({ kind: 'ok', host: '::1', port: 80 });
  });
});

describe('formatIPv6 (RFC 5952)', () => {
  const fmt = (h: string) => formatIPv6(hex(h));
  it('compresses the longest zero run, the first on a tie, never a single group', () => {
    expect(fmt('00000000000000000000000000000000')).toBe('::');
    expect(fmt('00000000000000000000000000000001')).toBe('::1');
    expect(fmt('20010db8000000000000000000000000')).toBe('2001:db8::');
    expect(fmt('20010db8000000010000000000000001')).toBe('2001:db8:0:1::1');
    expect(fmt('20010db8000000000001000000000001')).toBe('2001:db8::1:0:0:1');
    expect(fmt('20010db8000000010001000100010001')).toBe('2001:db8:0:1:1:1:1:1');
    expect(fmt('FE80000000000000ABCD00EF00000000')).toBe('fe80::abcd:ef:0:0');
  });

  it('writes IPv4-mapped addresses in mixed notation', () => {
    expect(fmt('00000000000000000000ffffc0a80001')).toBe('::ffff:192.168.0.1');
  });
});

describe('writeAddress / encodeAddress', () => {
  it('encodes IPv4, IPv6 (zone dropped, embedded IPv4) and domains', () => {
    expect(encodeAddress('10.1.2.3', 53)).toEqual(hex('01 0a010203 0035'));
    expect(encodeAddress('2001:db8::1', 443)).toEqual(hex('04 20010db8000000000000000000000001 01bb'));
    expect(encodeAddress('fe80::1%eth0', 1)).toEqual(hex('04 fe800000000000000000000000000001 0001'));
    expect(encodeAddress('::ffff:1.2.3.4', 2)).toEqual(hex('04 00000000000000000000ffff01020304 0002'));
    expect(encodeAddress('example.com', 80)).toEqual(hex('03 0b 6578616d706c652e636f6d 0050'));
  });

  it('round-trips through readAddress with the length it announced', () => {
    for (const [host, port] of [['1.2.3.4', 1], ['::', 65535], ['1:2:3:4:5:6:7:8', 9], ['a.b', 0], ['x'.repeat(255), 7]] as const) {
      const buf = Buffer.alloc(addressLength(host) + 3);
      expect(writeAddress(buf, 3, host, port)).toBe(buf.length);
      expect(readAddress(buf, 3)).toMatchObject({ kind: 'ok', host, port, end: buf.length });
    }
  });

  it('refuses names that do not fit a SOCKS address with E_PROTO_UNSUPPORTED', () => {
    for (const host of ['', 'x'.repeat(256), 'has space', 'café']) {
      let err: unknown;
      try {
        encodeAddress(host, 1);
      } catch (e) {
        err = e;
      }
      expect(isCoreError(err, 'E_PROTO_UNSUPPORTED')).toBe(true);
    }
  });
});

describe('unmapIPv4', () => {
  it('turns ::ffff:a.b.c.d into a.b.c.d and leaves everything else alone', () => {
    expect(unmapIPv4('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(unmapIPv4('::1')).toBe('::1');
    expect(unmapIPv4('::ffff:abcd')).toBe('::ffff:abcd');
    expect(unmapIPv4('10.0.0.1')).toBe('10.0.0.1');
  });
});
