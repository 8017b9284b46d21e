import { describe, expect, it } from 'vitest';
import { cidrContains, formatHostPort, isIPv4, isIPv6, isLocalHostname, isPrivateOrLocal, parseCidr, parseIp } from './net';

describe('parseIp', () => {
  it('parses IPv4 to uint32', () => {
    expect(parseIp('1.2.3.4')).toEqual({ family: 4, v4: 0x01020304 });
    expect(parseIp('255.255.255.255')).toEqual({ family: 4, v4: 0xffffffff });
  });

  it('parses IPv6 forms to bigint', () => {
    expect(parseIp('::')).toEqual({ family: 6, v6: 0n });
    expect(parseIp('::1')).toEqual({ family: 6, v6: 1n });
    expect(parseIp('2001:db8::1')).toEqual({ family: 6, v6: 0x20010db8000000000000000000000001n });
    expect(parseIp('2001:db8:0:0:0:0:0:1')).toEqual(parseIp('2001:db8::1'));
    expect(parseIp('fe80::1%eth0')).toEqual({ family: 6, v6: 0xfe800000000000000000000000000001n });
    expect(parseIp('1::')).toEqual({ family: 6, v6: 1n << 112n });
    expect(parseIp('::1.2.3.4')).toEqual({ family: 6, v6: 0x01020304n });
    expect(parseIp('64:ff9b::1.2.3.4')).toEqual({ family: 6, v6: 0x0064ff9b000000000000000001020304n });
    expect(parseIp('1:2:3:4:5:6:1.2.3.4')).toEqual({ family: 6, v6: 0x00010002000300040005000601020304n });
  });

  it('turns IPv4-mapped IPv6 into IPv4', () => {
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ family: 4, v4: 0x0a010203 });
    expect(parseIp('::ffff:a01:203')).toEqual({ family: 4, v4: 0x0a010203 });
  });

  it('rejects non-IPs', () => {
    expect(parseIp('example.com')).toBeNull();
    expect(parseIp('1.2.3')).toBeNull();
    expect(isIPv4('1.2.3.4') && isIPv6('::1') && !isIPv4('::1') && !isIPv6('x')).toBe(true);
  });
});

describe('parseCidr / cidrContains', () => {
  it('matches IPv4 blocks at the edges', () => {
    const c = parseCidr('10.1.0.0/16');
    expect(c).toMatchObject({ family: 4, bits: 16, prefix: 0x0a010000 });
    expect(cidrContains(c, '10.1.0.0')).toBe(true);
    expect(cidrContains(c, '10.1.255.255')).toBe(true);
    expect(cidrContains(c, '10.2.0.0')).toBe(false);
    expect(cidrContains(c, '10.0.255.255')).toBe(false);
    expect(cidrContains(c, 'example.com')).toBe(false);
    expect(cidrContains(c, '::1')).toBe(false);
  });

  it('clears host bits and handles /0 and /32', () => {
    expect(parseCidr('192.168.1.77/24')).toMatchObject({ prefix: 0xc0a80100 });
    expect(cidrContains(parseCidr('0.0.0.0/0'), '203.0.113.9')).toBe(true);
    expect(cidrContains(parseCidr('203.0.113.9/32'), '203.0.113.9')).toBe(true);
    expect(cidrContains(parseCidr('203.0.113.9/32'), '203.0.113.8')).toBe(false);
    expect(cidrContains(parseCidr('128.0.0.0/1'), '200.0.0.1')).toBe(true);
    expect(cidrContains(parseCidr('128.0.0.0/1'), '100.0.0.1')).toBe(false);
  });

  it('matches IPv6 blocks', () => {
    const c = parseCidr('2001:db8::/32');
    expect(cidrContains(c, '2001:db8:ffff::1')).toBe(true);
    expect(cidrContains(c, '2001:db9::1')).toBe(false);
    expect(cidrContains(c, '10.0.0.1')).toBe(false);
    expect(cidrContains(parseCidr('::/0'), '::1')).toBe(true);
    expect(cidrContains(parseCidr('::1/128'), '::1')).toBe(true);
    expect(cidrContains(parseCidr('::1/128'), '::2')).toBe(false);
    expect(cidrContains(parseCidr('2001:db8::/127'), '2001:db8::1')).toBe(true);
    expect(cidrContains(parseCidr('2001:db8::/127'), '2001:db8::2')).toBe(false);
  });

  it('matches IPv4-mapped addresses against IPv4 blocks and mapped blocks against IPv4', () => {
    expect(cidrContains(parseCidr('10.0.0.0/8'), '::ffff:10.9.8.7')).toBe(true);
    expect(cidrContains(parseCidr('10.0.0.0/8'), '::ffff:11.9.8.7')).toBe(false);
    expect(cidrContains(parseCidr('::ffff:10.0.0.0/104'), '10.1.2.3')).toBe(true);
    expect(cidrContains(parseCidr('::ffff:10.0.0.0/104'), '11.1.2.3')).toBe(false);
  });

  it('rejects malformed CIDRs', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/not a CIDR/);
    expect(() => parseCidr('::/129')).toThrow(/not a CIDR/);
    expect(() => parseCidr('x/8')).toThrow(/not a CIDR/);
    expect(() => parseCidr('10.0.0.0/a')).toThrow(/not a CIDR/);
  });
});

describe('isPrivateOrLocal', () => {
  it.each([
    '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '127.9.9.9', '169.254.1.1',
    '100.64.0.1', '0.0.0.0', '::1', '::', 'fc00::1', 'fdff::1', 'fe80::1', 'fe80::1%lo', '::ffff:192.168.0.1',
  ])('%s is local', (ip) => expect(isPrivateOrLocal(ip)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '::ffff:8.8.8.8', 'localhost', 'fec0::1'])(
    '%s is not local', (ip) => expect(isPrivateOrLocal(ip)).toBe(false),
  );
});

describe('isLocalHostname', () => {
  it('accepts localhost and single labels, case-insensitive, trailing dot ignored', () => {
    for (const h of ['localhost', 'LOCALHOST.', 'app.localhost', 'nas', 'router.']) expect(isLocalHostname(h)).toBe(true);
    for (const h of ['example.com', 'localhost.com', '', '.', '127.0.0.1', '::1']) expect(isLocalHostname(h)).toBe(false);
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6', () => {
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
    expect(formatHostPort('a.b', 80)).toBe('a.b:80');
  });
});
