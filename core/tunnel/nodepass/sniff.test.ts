import { describe, expect, it } from 'vitest';
import { blocksAny, sniffBlocked } from './sniff';

const ALL = { socks: true, http: true, tls: true };
const NONE = { socks: false, http: false, tls: false };

describe('sniffBlocked', () => {
  it('recognises SOCKS 4/5, HTTP request lines and TLS handshakes', () => {
    expect(sniffBlocked(Buffer.from([5, 1, 0]), ALL)).toBe('socks');
    expect(sniffBlocked(Buffer.from([4, 1, 0, 80]), ALL)).toBe('socks');
    expect(sniffBlocked(Buffer.from('GET / HTTP/1.1\r\n'), ALL)).toBe('http');
    expect(sniffBlocked(Buffer.from('CONNECT a:443 HTTP/1.1\r\n'), ALL)).toBe('http');
    expect(sniffBlocked(Buffer.from('POS'), ALL)).toBe('http');
    expect(sniffBlocked(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), ALL)).toBe('tls');
  });

  it('passes other bytes and protocols that are not blocked', () => {
    expect(sniffBlocked(Buffer.from('SSH-2.0-OpenSSH\r\n'), ALL)).toBeNull();
    expect(sniffBlocked(Buffer.from('GETX'), ALL)).toBeNull();
    expect(sniffBlocked(Buffer.from([0x16, 0x01]), ALL)).toBeNull();
    expect(sniffBlocked(Buffer.alloc(0), ALL)).toBeNull();
    expect(sniffBlocked(Buffer.from([5, 1, 0]), { ...ALL, socks: false })).toBeNull();
    expect(sniffBlocked(Buffer.from('GET / HTTP/1.1\r\n'), NONE)).toBeNull();
    expect(blocksAny(NONE)).toBe(false);
    expect(blocksAny({ ...NONE, tls: true })).toBe(true);
  });
});
