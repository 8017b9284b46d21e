import { describe, expect, it } from 'vitest';
import {
  AUTH_FAILURE, CMD_BIND, CMD_CONNECT, CMD_UDP_ASSOCIATE, METHOD_NO_ACCEPTABLE, METHOD_USER_PASS, REP_ADDRESS_TYPE_NOT_SUPPORTED,
  REP_CONNECTION_REFUSED, REP_GENERAL_FAILURE, REP_SUCCEEDED, encodeAuthStatus, encodeMethod, encodeReply, encodeUdpDatagram,
  encodeUdpHeader, parseAuth, parseGreeting, parseRequest, parseUdpDatagram,
} from './socks5';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('parseGreeting', () => {
  it('reads the offered methods and where the next message starts', () => {
    expect(parseGreeting(hex('05 02 00 02 01 05'))).toEqual({ kind: 'ok', methods: [0, 2], end: 4 });
  });

  it('waits for the whole method list', () => {
    expect(parseGreeting(hex(''))).toEqual({ kind: 'incomplete' });
    expect(parseGreeting(hex('05'))).toEqual({ kind: 'incomplete' });
    expect(parseGreeting(hex('05 03 00 01'))).toEqual({ kind: 'incomplete' });
  });

  it('rejects other versions at once, and an empty method list', () => {
    expect(parseGreeting(hex('04'))).toMatchObject({ kind: 'invalid', reason: 'version 0x04 is not SOCKS5' });
    expect(parseGreeting(hex('47 45 54 20'))).toMatchObject({ kind: 'invalid' });
    expect(parseGreeting(hex('05 00'))).toMatchObject({ kind: 'invalid', reason: 'greeting offers no authentication method' });
  });
});

describe('parseAuth (RFC 1929)', () => {
  it('reads username and password bytes', () => {
    const r = parseAuth(hex('01 04 75736572 06 736563726574 ff'));
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.username.toString()).toBe('user');
    expect(r.password.toString()).toBe('secret');
    expect(r.end).toBe(13);
  });

  it('accepts an empty password, not an empty username', () => {
    expect(parseAuth(hex('01 01 61 00'))).toMatchObject({ kind: 'ok', end: 4 });
    expect(parseAuth(hex('01 00 00'))).toMatchObject({ kind: 'invalid', reason: 'empty username' });
  });

  it('is incomplete on every prefix and rejects a wrong sub-negotiation version', () => {
    const full = hex('01 02 6162 02 6364');
    for (let n = 0; n < full.length; n++) expect(parseAuth(full.subarray(0, n))).toEqual({ kind: 'incomplete' });
    expect(parseAuth(hex('05 01 00'))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('0x05') });
  });
});

describe('parseRequest', () => {
  it('reads CONNECT to a domain, UDP ASSOCIATE to 0.0.0.0:0 and BIND (left to the caller)', () => {
    expect(parseRequest(hex('05 01 00 03 09 6c6f63616c686f7374 1f90 de ad'))).toEqual({
      kind: 'ok', cmd: CMD_CONNECT, atyp: 3, dst: { host: 'localhost', port: 8080 }, end: 16,
    });
    expect(parseRequest(hex('05 03 00 01 00000000 0000'))).toMatchObject({ kind: 'ok', cmd: CMD_UDP_ASSOCIATE, dst: { host: '0.0.0.0', port: 0 } });
    expect(parseRequest(hex('05 02 00 04 00000000000000000000000000000001 0016'))).toMatchObject({ kind: 'ok', cmd: CMD_BIND, dst: { host: '::1', port: 22 } });
  });

  it('is incomplete on every prefix', () => {
    const full = hex('05 01 00 01 7f000001 0050');
    for (let n = 0; n < full.length; n++) expect(parseRequest(full.subarray(0, n))).toEqual({ kind: 'incomplete' });
  });

  it('maps a bad ATYP to reply 0x08 and other garbage to 0x01', () => {
    expect(parseRequest(hex('05 01 00 05 00'))).toMatchObject({ kind: 'invalid', rep: REP_ADDRESS_TYPE_NOT_SUPPORTED });
    expect(parseRequest(hex('04 01 00 01'))).toMatchObject({ kind: 'invalid', rep: REP_GENERAL_FAILURE });
    expect(parseRequest(hex('05 01 00 03 00 0050'))).toMatchObject({ kind: 'invalid', rep: REP_GENERAL_FAILURE, reason: 'empty domain name' });
  });
});

describe('server messages', () => {
  it('encodes method selection, auth status and replies byte for byte', () => {
    expect(encodeMethod(METHOD_USER_PASS)).toEqual(hex('05 02'));
    expect(encodeMethod(METHOD_NO_ACCEPTABLE)).toEqual(hex('05 ff'));
    expect(encodeAuthStatus(AUTH_FAILURE)).toEqual(hex('01 01'));
    expect(encodeReply(REP_SUCCEEDED, { host: '127.0.0.1', port: 50000 })).toEqual(hex('05 00 00 01 7f000001 c350'));
    expect(encodeReply(REP_SUCCEEDED, { host: '::ffff:10.0.0.2', port: 1 })).toEqual(hex('05 00 00 01 0a000002 0001'));
    expect(encodeReply(REP_SUCCEEDED, { host: '::1', port: 2 })).toEqual(hex('05 00 00 04 00000000000000000000000000000001 0002'));
    expect(encodeReply(REP_CONNECTION_REFUSED)).toEqual(hex('05 05 00 01 00000000 0000'));
  });
});

describe('UDP datagrams', () => {
  it('parses the header and returns the payload as a view', () => {
    const d = hex('0000 00 01 08080808 0035 abcdef');
    const r = parseUdpDatagram(d);
    expect(r).toMatchObject({ kind: 'ok', dst: { host: '8.8.8.8', port: 53 } });
    if (r.kind === 'ok') {
      expect(r.payload).toEqual(hex('abcdef'));
      expect(r.payload.buffer).toBe(d.buffer);
    }
    expect(parseUdpDatagram(hex('0000 00 03 09 6c6f63616c686f7374 0007'))).toMatchObject({ kind: 'ok', dst: { host: 'localhost', port: 7 } });
  });

  it('drops fragments, bad reserved bytes, truncated headers and bad ATYPs', () => {
    expect(parseUdpDatagram(hex('0000 01 01 08080808 0035 ab'))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('fragment 1') });
    expect(parseUdpDatagram(hex('0100 00 01 08080808 0035'))).toMatchObject({ kind: 'invalid', reason: 'reserved bytes are not zero' });
    expect(parseUdpDatagram(hex('0000 00 01 0808'))).toMatchObject({ kind: 'invalid', reason: 'datagram shorter than its header' });
    expect(parseUdpDatagram(hex('0000 00 07 0808'))).toMatchObject({ kind: 'invalid', badAtyp: 7 });
  });

  it('encodes the reply header and whole datagrams', () => {
    expect(encodeUdpHeader({ host: '127.0.0.1', port: 9 })).toEqual(hex('0000 00 01 7f000001 0009'));
    expect(encodeUdpDatagram({ host: 'a.b', port: 1 }, hex('ff'))).toEqual(hex('0000 00 03 03 612e62 0001 ff'));
  });
});
