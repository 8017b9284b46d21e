import { INCOMPLETE, addressLength, readAddress, unmapIPv4, writeAddress, type Incomplete, type Invalid } from './address';

export { type Incomplete, type Invalid } from './address';

export const SOCKS_VERSION = 0x05;
/** RFC 1929 sub-negotiation version. */
export const AUTH_VERSION = 0x01;

/** Authentication methods (RFC 1928 §3). */
export const METHOD_NO_AUTH = 0x00;
export const METHOD_USER_PASS = 0x02;
export const METHOD_NO_ACCEPTABLE = 0xff;

/** Commands (RFC 1928 §4). */
export const CMD_CONNECT = 0x01;
export const CMD_BIND = 0x02;
export const CMD_UDP_ASSOCIATE = 0x03;

/** Reply codes (RFC 1928 §6). */
export const REP_SUCCEEDED = 0x00;
export const REP_GENERAL_FAILURE = 0x01;
export const REP_NOT_ALLOWED = 0x02;
export const REP_NETWORK_UNREACHABLE = 0x03;
export const REP_HOST_UNREACHABLE = 0x04;
export const REP_CONNECTION_REFUSED = 0x05;
export const REP_TTL_EXPIRED = 0x06;
export const REP_COMMAND_NOT_SUPPORTED = 0x07;
export const REP_ADDRESS_TYPE_NOT_SUPPORTED = 0x08;

/** RFC 1929 status: anything but 0x00 is a failure and the server closes. */
export const AUTH_SUCCESS = 0x00;
export const AUTH_FAILURE = 0x01;

/** The client's version identifier / method selection message. */
export interface Greeting {
  kind: 'ok';
  methods: number[];
  /** Offset after the message: bytes from here on are the client's next message. */
  end: number;
}

/** An RFC 1929 username/password request; both fields are raw bytes (RFC 1929 says nothing of charset). */
export interface AuthRequest {
  kind: 'ok';
  username: Buffer;
  password: Buffer;
  end: number;
}

export interface Request {
  kind: 'ok';
  cmd: number;
  atyp: number;
  dst: { host: string; port: number };
  end: number;
}

/** A rejected request that still deserves a reply: `rep` is the code to send. */
export interface InvalidRequest extends Invalid {
  rep: number;
}

export interface UdpDatagram {
  kind: 'ok';
  dst: { host: string; port: number };
  /** A view of the input after the header (no copy). */
  payload: Buffer;
}

export function parseGreeting(buf: Buffer): Greeting | Incomplete | Invalid {
  if (buf.length < 2) return buf.length === 1 && buf[0] !== SOCKS_VERSION ? badVersion(buf[0]!) : INCOMPLETE;
  if (buf[0] !== SOCKS_VERSION) return badVersion(buf[0]!);
  const n = buf[1]!;
  if (n === 0) return { kind: 'invalid', reason: 'greeting offers no authentication method' };
  if (buf.length < 2 + n) return INCOMPLETE;
  const methods: number[] = new Array(n);
  for (let i = 0; i < n; i++) methods[i] = buf[2 + i]!;
  return { kind: 'ok', methods, end: 2 + n };
}

/** Parses the RFC 1929 request; the username must not be empty, the password may be. */
export function parseAuth(buf: Buffer): AuthRequest | Incomplete | Invalid {
  if (buf.length < 1) return INCOMPLETE;
  if (buf[0] !== AUTH_VERSION) return { kind: 'invalid', reason: `auth sub-negotiation version 0x${hex(buf[0]!)} (expected 0x01)` };
  if (buf.length < 2) return INCOMPLETE;
  const ulen = buf[1]!;
  if (ulen === 0) return { kind: 'invalid', reason: 'empty username' };
  if (buf.length < 3 + ulen) return INCOMPLETE;
  const plen = buf[2 + ulen]!;
  const end = 3 + ulen + plen;
  if (buf.length < end) return INCOMPLETE;
  return { kind: 'ok', username: buf.subarray(2, 2 + ulen), password: buf.subarray(3 + ulen, end), end };
}

/**
 * Parses VER CMD RSV ATYP DST.ADDR DST.PORT. Any CMD byte is returned (the caller answers
 * REP_COMMAND_NOT_SUPPORTED for those it does not serve); an unknown ATYP is invalid with
 * REP_ADDRESS_TYPE_NOT_SUPPORTED, anything else malformed with REP_GENERAL_FAILURE.
 */
export function parseRequest(buf: Buffer): Request | Incomplete | InvalidRequest {
  if (buf.length < 1) return INCOMPLETE;
  if (buf[0] !== SOCKS_VERSION) return { ...badVersion(buf[0]!), rep: REP_GENERAL_FAILURE };
  if (buf.length < 4) return INCOMPLETE;
  const addr = readAddress(buf, 3);
  if (addr.kind === 'incomplete') return INCOMPLETE;
  if (addr.kind === 'invalid') {
    return { ...addr, rep: addr.badAtyp === undefined ? REP_GENERAL_FAILURE : REP_ADDRESS_TYPE_NOT_SUPPORTED };
  }
  return { kind: 'ok', cmd: buf[1]!, atyp: addr.atyp, dst: { host: addr.host, port: addr.port }, end: addr.end };
}

/** The server's method selection message. */
export function encodeMethod(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

/** The RFC 1929 status reply. */
export function encodeAuthStatus(status: number): Buffer {
  return Buffer.from([AUTH_VERSION, status]);
}

/**
 * VER REP RSV ATYP BND.ADDR BND.PORT. `bind` defaults to 0.0.0.0:0 (what error replies carry);
 * an IPv4-mapped IPv6 bind address is sent as IPv4.
 */
export function encodeReply(rep: number, bind: { host: string; port: number } = { host: '0.0.0.0', port: 0 }): Buffer {
  const host = unmapIPv4(bind.host);
  const buf = Buffer.allocUnsafe(3 + addressLength(host));
  buf[0] = SOCKS_VERSION;
  buf[1] = rep;
  buf[2] = 0;
  writeAddress(buf, 3, host, bind.port);
  return buf;
}

/**
 * Parses a UDP request header (RSV RSV FRAG ATYP DST.ADDR DST.PORT DATA). A datagram is a whole
 * message, so truncation is invalid; fragments (FRAG ≠ 0) are invalid too: this server does not
 * reassemble (RFC 1928 §7 allows dropping them).
 */
export function parseUdpDatagram(buf: Buffer): UdpDatagram | Invalid {
  if (buf.length < 4) return { kind: 'invalid', reason: 'datagram shorter than its header' };
  if (buf[0] !== 0 || buf[1] !== 0) return { kind: 'invalid', reason: 'reserved bytes are not zero' };
  if (buf[2] !== 0) return { kind: 'invalid', reason: `fragment ${buf[2]} dropped (fragmentation unsupported)` };
  const addr = readAddress(buf, 3);
  if (addr.kind === 'incomplete') return { kind: 'invalid', reason: 'datagram shorter than its header' };
  if (addr.kind === 'invalid') return addr;
  return { kind: 'ok', dst: { host: addr.host, port: addr.port }, payload: buf.subarray(addr.end) };
}

/** The header of a UDP datagram to the client (FRAG 0); send it followed by the payload. */
export function encodeUdpHeader(from: { host: string; port: number }): Buffer {
  const host = unmapIPv4(from.host);
  const buf = Buffer.allocUnsafe(3 + addressLength(host));
  buf[0] = 0;
  buf[1] = 0;
  buf[2] = 0;
  writeAddress(buf, 3, host, from.port);
  return buf;
}

/** A whole UDP datagram (header and payload) in one buffer. */
export function encodeUdpDatagram(dst: { host: string; port: number }, payload: Buffer): Buffer {
  return Buffer.concat([encodeUdpHeader(dst), payload]);
}

function badVersion(v: number): Invalid {
  return { kind: 'invalid', reason: `version 0x${hex(v)} is not SOCKS5` };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
