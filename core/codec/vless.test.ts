import { describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import {
  REQUEST_MUX, REQUEST_SEEDS, REQUEST_TCP_DOMAIN, REQUEST_TCP_IPV6, REQUEST_UDP_IPV4_VISION, TESTED_UDP_REPLY, UUID, UUID_HEX, hex,
} from '../test/vless-fixtures';
import {
  addressFromHost, encodeRequest, encodeResponse, formatUuid, isUuid, parseRequest, parseResponse, parseUuid, tryParseUuid, uuidFromXrayId,
} from './vless';

const uuid = Buffer.from(UUID_HEX, 'hex');
const withHeader = (prefix: string) => Buffer.concat([hex(`00 ${UUID_HEX}`), hex(prefix)]);

function expectThrows(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isCoreError(err) ? err.code : err).toBe(code);
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected an exception');
}

describe('encodeRequest', () => {
  it('writes the three address types with VLESS numbering (1 IPv4, 2 domain, 3 IPv6) after the port', () => {
    expect(encodeRequest({ version: 0, uuid: UUID, command: 'tcp', port: 443, address: { type: 'domain', host: 'example.com' } })).toEqual(REQUEST_TCP_DOMAIN);
    expect(encodeRequest({ version: 0, uuid, command: 'udp', flow: 'xtls-rprx-vision', port: 53, address: { type: 'ipv4', host: '127.0.0.1' } })).toEqual(REQUEST_UDP_IPV4_VISION);
    expect(encodeRequest({ version: 0, uuid: UUID_HEX, command: 'tcp', port: 80, address: { type: 'ipv6', host: '2001:db8::1' } })).toEqual(REQUEST_TCP_IPV6);
    expect(encodeRequest({ version: 0, uuid, command: 'tcp', port: 80, address: { type: 'ipv6', host: '[2001:db8::1]' } })).toEqual(REQUEST_TCP_IPV6);
  });

  it('encodes the flow as protobuf field 1 (0A 10 "xtls-rprx-vision") and Mux without an address', () => {
    const req = encodeRequest({ version: 0, uuid, command: 'udp', flow: 'xtls-rprx-vision', port: 53, address: { type: 'ipv4', host: '127.0.0.1' } });
    expect(req.subarray(17, 36).toString('hex')).toBe(`120a10${Buffer.from('xtls-rprx-vision').toString('hex')}`);
    expect(encodeRequest({ version: 0, uuid, command: 'mux' })).toEqual(REQUEST_MUX);
    // A 200-byte flow needs a two-byte varint length and still decodes.
    const long = 'f'.repeat(200);
    const r = parseRequest(encodeRequest({ uuid, flow: long, command: 'tcp', port: 1, address: { type: 'ipv4', host: '1.1.1.1' } }));
    expect(r).toMatchObject({ kind: 'ok', flow: long });
  });

  it('refuses what cannot be sent, with clear errors', () => {
    const base = { uuid, command: 'tcp' as const, port: 80 };
    expectThrows(() => encodeRequest({ ...base, address: { type: 'ipv4', host: 'example.com' } }), 'E_CONFIG_INVALID', /not an IPv4 address/);
    expectThrows(() => encodeRequest({ ...base, address: { type: 'ipv6', host: '1.2.3.4' } }), 'E_CONFIG_INVALID', /not an IPv6 address/);
    expectThrows(() => encodeRequest({ ...base, address: { type: 'domain', host: 'bücher.de' } }), 'E_PROTO_UNSUPPORTED', /punycode/);
    expectThrows(() => encodeRequest({ ...base, address: { type: 'domain', host: 'a'.repeat(256) } }), 'E_PROTO_UNSUPPORTED', /1\.\.255/);
    expectThrows(() => encodeRequest({ ...base, port: 65536, address: { type: 'ipv4', host: '1.1.1.1' } }), 'E_CONFIG_INVALID', /port 65536/);
    expectThrows(() => encodeRequest({ ...base, uuid: 'not-a-uuid', address: { type: 'ipv4', host: '1.1.1.1' } }), 'E_CONFIG_INVALID', /not a UUID/);
    expectThrows(() => encodeRequest({ ...base, flow: 'x'.repeat(253), address: { type: 'ipv4', host: '1.1.1.1' } }), 'E_CONFIG_INVALID', /too long/);
  });
});

describe('parseRequest', () => {
  it('reads each fixture, with the payload after headerLength', () => {
    const tail = hex('deadbeef');
    expect(parseRequest(Buffer.concat([REQUEST_TCP_DOMAIN, tail]))).toEqual({
      kind: 'ok', version: 0, uuid, uuidHex: UUID_HEX, flow: null, command: 'tcp', port: 443,
      address: { type: 'domain', host: 'example.com' }, headerLength: REQUEST_TCP_DOMAIN.length,
    });
    expect(parseRequest(REQUEST_UDP_IPV4_VISION)).toMatchObject({
      kind: 'ok', flow: 'xtls-rprx-vision', command: 'udp', port: 53, address: { type: 'ipv4', host: '127.0.0.1' }, headerLength: 44,
    });
    expect(parseRequest(REQUEST_TCP_IPV6)).toMatchObject({ kind: 'ok', port: 80, address: { type: 'ipv6', host: '2001:db8::1' }, headerLength: 38 });
    expect(parseRequest(Buffer.concat([REQUEST_MUX, tail]))).toMatchObject({
      kind: 'ok', command: 'mux', port: 0, address: { type: 'domain', host: 'v1.mux.cool' }, headerLength: 19,
    });
  });

  it('is incomplete at every prefix length, and truncated at every prefix when final', () => {
    for (const full of REQUEST_SEEDS) {
      for (let n = 0; n < full.length; n++) {
        expect(parseRequest(full.subarray(0, n))).toEqual({ kind: 'incomplete' });
        expect(parseRequest(full.subarray(0, n), undefined, { final: true })).toMatchObject({ kind: 'invalid', reason: 'truncated', detail: expect.stringContaining(`${n} byte`) });
      }
      expect(parseRequest(full, undefined, { final: true }).kind).toBe('ok');
    }
  });

  it('asks lookupUser as soon as the UUID has arrived, and rejects unknown users', () => {
    const seen: string[] = [];
    const lookup = (id: Buffer) => {
      seen.push(id.toString('hex'));
      return id.equals(uuid);
    };
    expect(parseRequest(REQUEST_TCP_DOMAIN.subarray(0, 17), lookup)).toEqual({ kind: 'incomplete' });
    expect(seen).toEqual([UUID_HEX]);
    const stranger = Buffer.from(REQUEST_TCP_DOMAIN);
    stranger[5] ^= 0xff;
    expect(parseRequest(stranger.subarray(0, 17), lookup)).toMatchObject({ kind: 'invalid', reason: 'uuid', detail: expect.stringContaining('unknown user') });
    expect(parseRequest(REQUEST_TCP_DOMAIN, lookup).kind).toBe('ok');
  });

  it('classifies each kind of bad header', () => {
    expect(parseRequest(hex('01'))).toMatchObject({ kind: 'invalid', reason: 'version' });
    expect(parseRequest(hex('474554'))).toMatchObject({ kind: 'invalid', reason: 'version' });
    expect(parseRequest(withHeader('00 04'))).toMatchObject({ kind: 'invalid', reason: 'command', detail: expect.stringContaining('0x04') });
    expect(parseRequest(withHeader('00 01 0050 04'))).toMatchObject({ kind: 'invalid', reason: 'address', detail: expect.stringContaining('0x04') });
    expect(parseRequest(withHeader('00 01 0050 00'))).toMatchObject({ kind: 'invalid', reason: 'address' });
    expect(parseRequest(withHeader('00 01 0050 02 00'))).toMatchObject({ kind: 'invalid', reason: 'address', detail: 'empty domain name' });
    expect(parseRequest(withHeader('00 01 0050 02 03 612062'))).toMatchObject({ kind: 'invalid', reason: 'address', detail: expect.stringContaining('outside') });
  });

  it('takes IP literals sent as domains as IPs, as v2ray does', () => {
    const v4 = Buffer.from('10.0.0.1');
    expect(parseRequest(Buffer.concat([withHeader(`00 01 0050 02 ${v4.length.toString(16).padStart(2, '0')}`), v4]))).toMatchObject({ address: { type: 'ipv4', host: '10.0.0.1' } });
    const v6 = Buffer.from('[2001:DB8:0:0::1]');
    expect(parseRequest(Buffer.concat([withHeader(`00 01 0050 02 ${v6.length.toString(16)}`), v6]))).toMatchObject({ address: { type: 'ipv6', host: '2001:db8::1' } });
  });

  it('decodes protobuf addons: skips unknown fields and Seed, the last Flow wins, malformed is invalid addons', () => {
    const flowA = Buffer.from('a').toString('hex');
    // field 2 (seed) bytes, field 7 varint, field 9 fixed32, field 10 fixed64, then flow "a".
    const addons = `12 02 abcd 38 96 01 4d 01020304 51 0102030405060708 0a 01 ${flowA}`;
    const len = hex(addons).length.toString(16).padStart(2, '0');
    expect(parseRequest(withHeader(`${len} ${addons} 03`))).toMatchObject({ kind: 'ok', flow: 'a', command: 'mux' });
    expect(parseRequest(withHeader(`06 0a 01 ${flowA} 0a 01 62 03`))).toMatchObject({ kind: 'ok', flow: 'b' });
    expect(parseRequest(withHeader('02 0a 00 03'))).toMatchObject({ kind: 'ok', flow: null });
    const bad: Record<string, string> = {
      'length past the end': '03 0a 05 61',
      'field 1 as varint': '02 08 01',
      'field number 0': '02 02 00',
      'group wire type': '01 0b',
      'unterminated varint': '02 38 80',
      'invalid UTF-8 flow': '03 0a 01 ff',
      'fixed64 past the end': '03 09 0102',
    };
    for (const [what, bytes] of Object.entries(bad)) {
      expect(parseRequest(withHeader(`${bytes} 01 0050 01 7f000001`)), what).toMatchObject({ kind: 'invalid', reason: 'addons' });
    }
  });
});

describe('response', () => {
  it('encodes [version, 0] and parses the tested v2ray reply (00 00 | 00 08 "udp-ping")', () => {
    expect(encodeResponse()).toEqual(hex('0000'));
    expect(encodeResponse(0)).toEqual(hex('0000'));
    const r = parseResponse(TESTED_UDP_REPLY);
    expect(r).toEqual({ kind: 'ok', version: 0, addonsLength: 0, headerLength: 2 });
    expect(TESTED_UDP_REPLY.subarray(2)).toEqual(hex('0008 7564702d70696e67'));
  });

  it('skips response addons, waits for them, rejects a wrong version or malformed addons', () => {
    expect(parseResponse(hex('00 04 12 02 abcd ff'))).toEqual({ kind: 'ok', version: 0, addonsLength: 4, headerLength: 6 });
    expect(parseResponse(hex(''))).toEqual({ kind: 'incomplete' });
    expect(parseResponse(hex('00'))).toEqual({ kind: 'incomplete' });
    expect(parseResponse(hex('00 04 12 02'))).toEqual({ kind: 'incomplete' });
    expect(parseResponse(hex('00 04 12 02'), 0, { final: true })).toMatchObject({ kind: 'invalid', reason: 'truncated' });
    expect(parseResponse(hex('01 00'))).toMatchObject({ kind: 'invalid', reason: 'version' });
    expect(parseResponse(hex('48 54 54 50'))).toMatchObject({ kind: 'invalid', reason: 'version' });
    expect(parseResponse(hex('00 02 0a 05'))).toMatchObject({ kind: 'invalid', reason: 'addons' });
  });
});

describe('UUID helpers', () => {
  it('parses the canonical and 32-hex forms in any case, formats canonical lowercase', () => {
    expect(parseUuid(UUID)).toEqual(uuid);
    expect(parseUuid(UUID.toUpperCase())).toEqual(uuid);
    expect(parseUuid(UUID_HEX)).toEqual(uuid);
    expect(formatUuid(uuid)).toBe(UUID);
    expect(isUuid(UUID)).toBe(true);
  });

  it('says what is wrong with a bad UUID', () => {
    expectThrows(() => parseUuid(`${UUID}0`), 'E_CONFIG_INVALID', /37 characters/);
    expectThrows(() => parseUuid(UUID.replace('-', '_')), 'E_CONFIG_INVALID', /"-" at position 9/);
    expectThrows(() => parseUuid(UUID.replace('7e62', '7g62')), 'E_CONFIG_INVALID', /"g" is not a hex digit/);
    expect(tryParseUuid('')).toBeNull();
    expect(isUuid(`{${UUID.slice(1, -1)}}`)).toBe(false);
    expectThrows(() => formatUuid(Buffer.alloc(15)), 'E_CONFIG_INVALID', /16 bytes/);
  });

  it("maps an Xray custom id to Xray's UUIDv5 (the example from the Xray docs)", () => {
    expect(formatUuid(uuidFromXrayId('我爱🍉老师1314')!)).toBe('5783a3e7-e373-51cd-8642-c83782b807c5');
    expect(uuidFromXrayId('')).toBeNull();
    expect(uuidFromXrayId('x'.repeat(31))).toBeNull();
  });

  it('addressFromHost picks the type from the host text', () => {
    expect(addressFromHost('1.2.3.4')).toEqual({ type: 'ipv4', host: '1.2.3.4' });
    expect(addressFromHost('[::1]')).toEqual({ type: 'ipv6', host: '::1' });
    expect(addressFromHost('::1')).toEqual({ type: 'ipv6', host: '::1' });
    expect(addressFromHost('example.com')).toEqual({ type: 'domain', host: 'example.com' });
  });
});
