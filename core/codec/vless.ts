import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { CoreError } from '../rpc';
import { encodeAddress, formatIPv6 } from './address';

/**
 * VLESS request and response headers (PROTOCOLS.md §5.5; v2ray 4.34 / Xray `proxy/vless/encoding`):
 *
 *   request  = version(1) uuid(16) addonsLen(1) addons(M) command(1) [port(2 BE) atyp(1) address]
 *   response = version(1) addonsLen(1) addons(N)
 *
 * addons = protobuf `Addons { string Flow = 1; bytes Seed = 2; }`. The address types are VLESS's
 * own (1 IPv4, 2 domain, 3 IPv6), not SOCKS5's. Mux (command 3) carries no port nor address: the
 * peer treats it as "v1.mux.cool:0".
 */

/** The only version v2ray/Xray send and accept. */
export const VLESS_VERSION = 0;
export const CMD_TCP = 0x01;
export const CMD_UDP = 0x02;
export const CMD_MUX = 0x03;
export const VLESS_ATYP_IPV4 = 0x01;
export const VLESS_ATYP_DOMAIN = 0x02;
export const VLESS_ATYP_IPV6 = 0x03;
/** What v2ray/Xray report as the destination of a Mux request. */
export const MUX_DESTINATION: Readonly<VlessAddress> = Object.freeze({ type: 'domain', host: 'v1.mux.cool' });

export type VlessCommand = 'tcp' | 'udp' | 'mux';

/** A destination: `host` is a dotted IPv4, an RFC 5952 IPv6 (no brackets) or a domain name. */
export interface VlessAddress {
  type: 'ipv4' | 'domain' | 'ipv6';
  host: string;
}

interface RequestBase {
  /** @default 0 */
  version?: 0;
  /** 16 raw bytes, or a UUID as text (8-4-4-4-12 or 32 hex digits). */
  uuid: Buffer | string;
  /** Sent in the protobuf addons; empty or absent sends no addons. */
  flow?: string;
}

/** What `encodeRequest` writes. For Mux, `port` and `address` are not sent (the wire has none). */
export type VlessRequestInit = RequestBase & (
  | { command: 'tcp' | 'udp'; port: number; address: VlessAddress }
  | { command: 'mux'; port?: number; address?: VlessAddress });

export interface VlessRequest {
  kind: 'ok';
  version: number;
  /** Own copy of the 16 UUID bytes. */
  uuid: Buffer;
  /** The UUID as 32 lowercase hex digits. */
  uuidHex: string;
  /** Flow from the addons; null when absent or empty. */
  flow: string | null;
  command: VlessCommand;
  /** 0 for Mux. */
  port: number;
  /** MUX_DESTINATION for Mux. */
  address: VlessAddress;
  /** Bytes of the header: the payload starts here. */
  headerLength: number;
}

export interface VlessResponse {
  kind: 'ok';
  version: number;
  addonsLength: number;
  headerLength: number;
}

export interface Incomplete {
  kind: 'incomplete';
}

export type VlessInvalidReason = 'version' | 'uuid' | 'addons' | 'command' | 'address' | 'truncated';

/** Bytes that can never become a valid header; `reason` is the class (for counters), `detail` for logs. */
export interface VlessInvalid {
  kind: 'invalid';
  reason: VlessInvalidReason;
  detail: string;
}

export interface ParseOptions {
  /**
   * The buffer is all there will be (the peer closed or the handshake timed out): a header that
   * is still incomplete is reported as invalid 'truncated'.
   * @default false
   */
  final?: boolean;
}

const INCOMPLETE: Incomplete = Object.freeze({ kind: 'incomplete' }) as Incomplete;
const COMMANDS: readonly (VlessCommand | undefined)[] = [undefined, 'tcp', 'udp', 'mux'];
const DOMAIN_CHAR = /^[0-9A-Za-z._-]+$/;

/** Encodes a request header; throws E_CONFIG_INVALID / E_PROTO_UNSUPPORTED for what cannot be sent. */
export function encodeRequest(req: VlessRequestInit): Buffer {
  const uuid = typeof req.uuid === 'string' ? parseUuid(req.uuid) : req.uuid;
  if (uuid.length !== 16) throw new CoreError('E_CONFIG_INVALID', `a VLESS UUID is 16 bytes, got ${uuid.length}`);
  const cmd = req.command === 'tcp' ? CMD_TCP : req.command === 'udp' ? CMD_UDP : req.command === 'mux' ? CMD_MUX : 0;
  if (cmd === 0) throw new CoreError('E_CONFIG_INVALID', `unknown VLESS command "${String(req.command)}"`);
  const addons = encodeAddons(req.flow ?? '');
  let addr: Buffer | null = null;
  let port = 0;
  if (req.command !== 'mux') {
    port = req.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CoreError('E_CONFIG_INVALID', `port ${port} is not in 0..65535`);
    addr = encodeVlessAddress(req.address);
  }
  const len = 18 + addons.length + 1 + (addr ? 2 + addr.length : 0);
  const buf = Buffer.allocUnsafe(len);
  buf[0] = req.version ?? VLESS_VERSION;
  uuid.copy(buf, 1);
  buf[17] = addons.length;
  addons.copy(buf, 18);
  let at = 18 + addons.length;
  buf[at++] = cmd;
  if (addr) {
    buf.writeUInt16BE(port, at);
    addr.copy(buf, at + 2);
  }
  return buf;
}

/**
 * Parses a request header at the start of `buf`. `lookupUser` sees a view of the 16 UUID bytes
 * (valid during the call only) as soon as they arrive; false makes the request invalid 'uuid',
 * before the rest is read, as v2ray does. Versions other than 0 are invalid (as in v2ray 4.34).
 */
export function parseRequest(buf: Buffer, lookupUser?: (uuid: Buffer) => boolean, options: ParseOptions = {}): VlessRequest | Incomplete | VlessInvalid {
  const r = parseRequestPrefix(buf, lookupUser);
  return r.kind === 'incomplete' && options.final ? truncated(buf.length, 'request') : r;
}

/** The server's response header: [version, 0] (no addons). */
export function encodeResponse(version = VLESS_VERSION): Buffer {
  return Buffer.from([version, 0]);
}

/** Parses the server's response header; its version must equal the request's (`expectVersion`). */
export function parseResponse(buf: Buffer, expectVersion = VLESS_VERSION, options: ParseOptions = {}): VlessResponse | Incomplete | VlessInvalid {
  let r: VlessResponse | Incomplete | VlessInvalid = INCOMPLETE;
  if (buf.length >= 1 && buf[0] !== expectVersion) {
    r = invalid('version', `response version ${buf[0]} (expected ${expectVersion})`);
  } else if (buf.length >= 2 && buf.length >= 2 + buf[1]!) {
    const n = buf[1]!;
    const addons = decodeAddons(buf, 2, 2 + n);
    r = typeof addons === 'string' ? invalid('addons', addons) : { kind: 'ok', version: buf[0]!, addonsLength: n, headerLength: 2 + n };
  }
  return r.kind === 'incomplete' && options.final ? truncated(buf.length, 'response') : r;
}

/** The address type for a host: IP literals (IPv6 with or without brackets) as IPs, else a domain. */
export function addressFromHost(host: string): VlessAddress {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  return family === 4 ? { type: 'ipv4', host: bare } : family === 6 ? { type: 'ipv6', host: bare } : { type: 'domain', host };
}

/** 16 bytes from "8-4-4-4-12" or 32 hex digits (any case); throws E_CONFIG_INVALID saying what is wrong. */
export function parseUuid(text: string): Buffer {
  const r = uuidOrProblem(text);
  if (typeof r === 'string') throw new CoreError('E_CONFIG_INVALID', `"${text.slice(0, 64)}" is not a UUID: ${r}`);
  return r;
}

/** Like parseUuid, null instead of an exception. */
export function tryParseUuid(text: string): Buffer | null {
  const r = uuidOrProblem(text);
  return typeof r === 'string' ? null : r;
}

export function isUuid(text: string): boolean {
  return typeof uuidOrProblem(text) !== 'string';
}

/** 16 bytes as the canonical lowercase 8-4-4-4-12 text. */
export function formatUuid(bytes: Buffer): string {
  if (bytes.length !== 16) throw new CoreError('E_CONFIG_INVALID', `a UUID is 16 bytes, got ${bytes.length}`);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Xray's mapping of a custom id string (1..30 UTF-8 bytes) to a UUIDv5 in the nil namespace, so
 * `"id": "我爱🍉老师1314"` equals 5783a3e7-e373-51cd-8642-c83782b807c5. v2ray 4.34 has no such
 * mapping; the bytes on the wire are the mapped UUID either way. Returns null outside 1..30 bytes.
 */
export function uuidFromXrayId(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length < 1 || bytes.length > 30) return null;
  const u = createHash('sha1').update(Buffer.alloc(16)).update(bytes).digest().subarray(0, 16);
  u[6] = (u[6]! & 0x0f) | 0x50;
  u[8] = (u[8]! & 0x3f) | 0x80;
  return Buffer.from(u);
}

function parseRequestPrefix(buf: Buffer, lookupUser?: (uuid: Buffer) => boolean): VlessRequest | Incomplete | VlessInvalid {
  if (buf.length < 1) return INCOMPLETE;
  if (buf[0] !== VLESS_VERSION) return invalid('version', `request version ${buf[0]} (only ${VLESS_VERSION} is supported)`);
  if (buf.length < 17) return INCOMPLETE;
  if (lookupUser && !lookupUser(buf.subarray(1, 17))) return invalid('uuid', `unknown user ${buf.toString('hex', 1, 17)}`);
  if (buf.length < 18) return INCOMPLETE;
  const addonsEnd = 18 + buf[17]!;
  if (buf.length < addonsEnd) return INCOMPLETE;
  const addons = decodeAddons(buf, 18, addonsEnd);
  if (typeof addons === 'string') return invalid('addons', addons);
  if (buf.length <= addonsEnd) return INCOMPLETE;
  const command = COMMANDS[buf[addonsEnd]!];
  if (!command) return invalid('command', `command 0x${hex(buf[addonsEnd]!)} (expected 1 TCP, 2 UDP or 3 Mux)`);
  const uuid = Buffer.from(buf.subarray(1, 17));
  const ok = { kind: 'ok' as const, version: buf[0]!, uuid, uuidHex: uuid.toString('hex'), flow: addons.flow, command };
  if (command === 'mux') return { ...ok, port: 0, address: { ...MUX_DESTINATION }, headerLength: addonsEnd + 1 };
  const at = addonsEnd + 3;
  if (buf.length <= at) return INCOMPLETE;
  const addr = readVlessAddress(buf, at);
  if (addr.kind !== 'ok') return addr;
  return { ...ok, port: buf.readUInt16BE(addonsEnd + 1), address: addr.address, headerLength: addr.end };
}

/** Reads ATYP + address at `at` with v2ray's rules: domains are [0-9A-Za-z._-], IP literals sent as domains become IPs. */
function readVlessAddress(buf: Buffer, at: number): { kind: 'ok'; address: VlessAddress; end: number } | Incomplete | VlessInvalid {
  const atyp = buf[at]!;
  if (atyp === VLESS_ATYP_IPV4) {
    if (buf.length < at + 5) return INCOMPLETE;
    return { kind: 'ok', address: { type: 'ipv4', host: `${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}.${buf[at + 4]}` }, end: at + 5 };
  }
  if (atyp === VLESS_ATYP_IPV6) {
    if (buf.length < at + 17) return INCOMPLETE;
    return { kind: 'ok', address: { type: 'ipv6', host: formatIPv6(buf, at + 1) }, end: at + 17 };
  }
  if (atyp !== VLESS_ATYP_DOMAIN) return invalid('address', `address type 0x${hex(atyp)} (expected 1 IPv4, 2 domain or 3 IPv6)`);
  if (buf.length < at + 2) return INCOMPLETE;
  const len = buf[at + 1]!;
  if (len === 0) return invalid('address', 'empty domain name');
  const end = at + 2 + len;
  if (buf.length < end) return INCOMPLETE;
  const name = buf.toString('latin1', at + 2, end);
  const first = name.charCodeAt(0);
  if (first === 0x5b || (first >= 0x30 && first <= 0x39)) {
    const ip = addressFromHost(name);
    if (ip.type === 'ipv4') return { kind: 'ok', address: ip, end };
    if (ip.type === 'ipv6') return { kind: 'ok', address: { type: 'ipv6', host: canonicalIPv6(ip.host) }, end };
  }
  if (!DOMAIN_CHAR.test(name)) return invalid('address', `domain name "${printable(name)}" has characters outside [0-9A-Za-z._-]`);
  return { kind: 'ok', address: { type: 'domain', host: name }, end };
}

function encodeVlessAddress(address: VlessAddress): Buffer {
  const { type, host } = address;
  if (type === 'ipv4' || type === 'ipv6') {
    const bare = type === 'ipv6' && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (isIP(bare) !== (type === 'ipv4' ? 4 : 6)) throw new CoreError('E_CONFIG_INVALID', `"${host.slice(0, 64)}" is not an ${type === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
    // The SOCKS encoding has the same address bytes after its own type byte.
    const socks = encodeAddress(bare, 0);
    const out = Buffer.allocUnsafe(socks.length - 2);
    out[0] = type === 'ipv4' ? VLESS_ATYP_IPV4 : VLESS_ATYP_IPV6;
    socks.copy(out, 1, 1, socks.length - 2);
    return out;
  }
  if (type !== 'domain') throw new CoreError('E_CONFIG_INVALID', `unknown address type "${String(type)}"`);
  if (host.length === 0 || host.length > 255 || !DOMAIN_CHAR.test(host)) {
    throw new CoreError('E_PROTO_UNSUPPORTED', `"${host.slice(0, 64)}" cannot be sent as a VLESS domain (1..255 characters of [0-9A-Za-z._-]; IDNs as punycode)`);
  }
  const out = Buffer.allocUnsafe(2 + host.length);
  out[0] = VLESS_ATYP_DOMAIN;
  out[1] = host.length;
  out.write(host, 2, 'latin1');
  return out;
}

/** Protobuf Addons with only Flow set (field 1, wire type 2); empty flow → no addons at all. */
function encodeAddons(flow: string): Buffer {
  if (flow === '') return Buffer.alloc(0);
  const bytes = Buffer.from(flow, 'utf8');
  const lenBytes = bytes.length < 0x80 ? 1 : 2;
  if (1 + lenBytes + bytes.length > 255) throw new CoreError('E_CONFIG_INVALID', `flow "${flow.slice(0, 32)}…" is too long for the 255-byte addons`);
  const out = Buffer.allocUnsafe(1 + lenBytes + bytes.length);
  out[0] = 0x0a;
  if (lenBytes === 1) out[1] = bytes.length;
  else {
    out[1] = (bytes.length & 0x7f) | 0x80;
    out[2] = bytes.length >> 7;
  }
  bytes.copy(out, 1 + lenBytes);
  return out;
}

/**
 * Decodes the protobuf Addons in buf[start, end): Flow (1) must be a UTF-8 string, Seed (2)
 * bytes (ignored); unknown fields of wire types 0/1/2/5 are skipped; the last Flow wins.
 * Returns the flow or a string saying what is malformed.
 */
function decodeAddons(buf: Buffer, start: number, end: number): { flow: string | null } | string {
  let flow: string | null = null;
  let at = start;
  while (at < end) {
    const tag = readVarint(buf, at, end);
    if (typeof tag === 'string') return `addons: ${tag}`;
    at = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0) return 'addons: field number 0';
    if ((field === 1 || field === 2) && wire !== 2) return `addons: field ${field} has wire type ${wire} (expected 2, length-delimited)`;
    if (wire === 0) {
      const v = readVarint(buf, at, end);
      if (typeof v === 'string') return `addons: ${v}`;
      at = v.next;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > end) return 'addons: fixed-size field runs past the end';
    } else if (wire === 2) {
      const len = readVarint(buf, at, end);
      if (typeof len === 'string') return `addons: ${len}`;
      if (len.value > end - len.next) return `addons: field ${field} length ${len.value} runs past the end`;
      at = len.next + len.value;
      if (field === 1) {
        const bytes = buf.subarray(len.next, at);
        if (!isUtf8(bytes)) return 'addons: flow is not valid UTF-8';
        flow = bytes.length === 0 ? null : bytes.toString('utf8');
      }
    } else {
      return `addons: unsupported wire type ${wire}`;
    }
  }
  return { flow };
}

function readVarint(buf: Buffer, at: number, end: number): { value: number; next: number } | string {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) return 'varint runs past the end';
    const b = buf[at + i]!;
    value += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) return { value, next: at + i + 1 };
  }
  return 'varint longer than 10 bytes';
}

function uuidOrProblem(text: string): Buffer | string {
  let digits: string;
  if (text.length === 36) {
    for (const at of [8, 13, 18, 23]) if (text[at] !== '-') return `expected "-" at position ${at + 1} (form 8-4-4-4-12)`;
    digits = text.slice(0, 8) + text.slice(9, 13) + text.slice(14, 18) + text.slice(19, 23) + text.slice(24);
  } else if (text.length === 32) {
    digits = text;
  } else {
    return `${text.length} characters (expected 36 as 8-4-4-4-12, or 32 hex digits)`;
  }
  const bad = digits.search(/[^0-9a-fA-F]/);
  if (bad >= 0) return `"${printable(digits[bad]!)}" is not a hex digit`;
  return Buffer.from(digits, 'hex');
}

function canonicalIPv6(host: string): string {
  const socks = encodeAddress(host, 0);
  return formatIPv6(socks, 1);
}

function invalid(reason: VlessInvalidReason, detail: string): VlessInvalid {
  return { kind: 'invalid', reason, detail };
}

function truncated(length: number, what: string): VlessInvalid {
  return invalid('truncated', `${what} header truncated after ${length} byte${length === 1 ? '' : 's'}`);
}

function printable(s: string): string {
  return s.slice(0, 64).replace(/[^\x20-\x7e]/g, (c) => `\\x${hex(c.charCodeAt(0) & 0xff)}`);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
