import { describe, expect, it } from 'vitest';
import {
  CMD_CONNECT, CMD_UDP_ASSOCIATE, METHOD_NO_AUTH, METHOD_USER_PASS, REP_HOST_UNREACHABLE, REP_SUCCEEDED, encodeAuthStatus,
  encodeMethod, encodeReply, parseAuth, parseGreeting, parseRequest,
} from './socks5';
import { encodeAuthRequest, encodeGreeting, encodeRequest, parseAuthStatus, parseMethodSelection, parseReply } from './socks5-client';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SOCKS5 client messages', () => {
  it('encodes the greeting, auth and request as the RFC bytes, which the server parsers read back', () => {
    expect(encodeGreeting([METHOD_NO_AUTH, METHOD_USER_PASS])).toEqual(hex('05 02 00 02'));
    expect(parseGreeting(encodeGreeting([METHOD_USER_PASS]))).toEqual({ kind: 'ok', methods: [2], end: 3 });

    const auth = encodeAuthRequest('us', 'pässword');
    expect(auth).toEqual(Buffer.concat([hex('01 02'), Buffer.from('us'), hex('09'), Buffer.from('pässword')]));
    const parsed = parseAuth(auth);
    expect(parsed.kind === 'ok' && [parsed.username.toString(), parsed.password.toString()]).toEqual(['us', 'pässword']);
    expect(() => encodeAuthRequest('', 'x')).toThrow(RangeError);
    expect(() => encodeAuthRequest('u', 'x'.repeat(256))).toThrow(RangeError);

    expect(encodeRequest(CMD_CONNECT, '10.1.2.3', 80)).toEqual(hex('05 01 00 01 0a010203 0050'));
    expect(encodeRequest(CMD_CONNECT, 'example.com', 443)).toEqual(Buffer.concat([hex('05 01 00 03 0b'), Buffer.from('example.com'), hex('01bb')]));
    expect(encodeRequest(CMD_UDP_ASSOCIATE, '::1', 53)).toEqual(hex('05 03 00 04 00000000000000000000000000000001 0035'));
    for (const host of ['10.1.2.3', 'example.com', '2001:db8::1']) {
      expect(parseRequest(encodeRequest(CMD_CONNECT, host, 8080))).toMatchObject({ kind: 'ok', cmd: 1, dst: { host, port: 8080 } });
    }
    expect(() => encodeRequest(CMD_CONNECT, 'bad host', 1)).toThrow(/cannot be sent as a SOCKS address/);
  });

  it('parses what the server sends, byte by byte', () => {
    expect(parseMethodSelection(encodeMethod(METHOD_USER_PASS))).toEqual({ kind: 'ok', method: 2, end: 2 });
    expect(parseMethodSelection(hex('05'))).toEqual({ kind: 'incomplete' });
    expect(parseMethodSelection(hex('04'))).toMatchObject({ kind: 'invalid', reason: 'version 0x04 is not SOCKS5' });
    expect(parseAuthStatus(encodeAuthStatus(0))).toEqual({ kind: 'ok', status: 0, end: 2 });
    expect(parseAuthStatus(hex('05 01'))).toEqual({ kind: 'ok', status: 1, end: 2 });
    expect(parseAuthStatus(hex('02 00'))).toMatchObject({ kind: 'invalid' });
    expect(parseAuthStatus(hex('01'))).toEqual({ kind: 'incomplete' });

    const reply = Buffer.concat([encodeReply(REP_SUCCEEDED, { host: '::ffff:127.0.0.1', port: 1234 }), Buffer.from('data')]);
    for (let i = 0; i < 10; i++) expect(parseReply(reply.subarray(0, i))).toEqual({ kind: 'incomplete' });
    expect(parseReply(reply)).toEqual({ kind: 'ok', rep: 0, bind: { host: '127.0.0.1', port: 1234 }, end: 10 });
    expect(parseReply(encodeReply(REP_HOST_UNREACHABLE))).toMatchObject({ kind: 'ok', rep: 4 });
    expect(parseReply(hex('05 00 00 09 0000'))).toMatchObject({ kind: 'invalid', badAtyp: 9 });
    expect(parseReply(hex('04 00'))).toMatchObject({ kind: 'invalid' });
  });
});
