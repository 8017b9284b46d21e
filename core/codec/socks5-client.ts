import { INCOMPLETE, addressLength, readAddress, writeAddress, type Incomplete, type Invalid } from './address';
import { AUTH_VERSION, SOCKS_VERSION } from './socks5';

/**
 * The client side of SOCKS5 (RFC 1928) and its username/password sub-negotiation (RFC 1929):
 * the messages a client sends, and parsers for what the server answers. Pure functions; the
 * server side lives in socks5.ts.
 */

/** The server's method selection. */
export interface MethodSelection {
  kind: 'ok';
  method: number;
  end: number;
}

/** The server's RFC 1929 status: 0x00 = success, anything else = failure. */
export interface AuthStatus {
  kind: 'ok';
  status: number;
  end: number;
}

/** VER REP RSV ATYP BND.ADDR BND.PORT. */
export interface Reply {
  kind: 'ok';
  rep: number;
  bind: { host: string; port: number };
  /** Offset after the reply: bytes from here on are the destination's. */
  end: number;
}

/** VER NMETHODS METHODS. */
export function encodeGreeting(methods: number[]): Buffer {
  return Buffer.from([SOCKS_VERSION, methods.length, ...methods]);
}

/**
 * VER ULEN UNAME PLEN PASSWD with both fields as UTF-8. Throws a RangeError when a field is
 * empty or longer than 255 bytes (the profile schema already bounds them).
 */
export function encodeAuthRequest(username: string, password: string): Buffer {
  const user = Buffer.from(username, 'utf8');
  const pass = Buffer.from(password, 'utf8');
  if (user.length < 1 || user.length > 255) throw new RangeError('SOCKS5 username must be 1..255 bytes');
  if (pass.length < 1 || pass.length > 255) throw new RangeError('SOCKS5 password must be 1..255 bytes');
  return Buffer.concat([Buffer.from([AUTH_VERSION, user.length]), user, Buffer.from([pass.length]), pass]);
}

/**
 * VER CMD RSV ATYP DST.ADDR DST.PORT: an IP literal goes as ATYP 1/4, anything else as a domain.
 * Throws E_PROTO_UNSUPPORTED (from writeAddress) for a name that cannot be encoded.
 */
export function encodeRequest(cmd: number, host: string, port: number): Buffer {
  const buf = Buffer.allocUnsafe(3 + addressLength(host));
  buf[0] = SOCKS_VERSION;
  buf[1] = cmd;
  buf[2] = 0;
  writeAddress(buf, 3, host, port);
  return buf;
}

export function parseMethodSelection(buf: Buffer): MethodSelection | Incomplete | Invalid {
  if (buf.length < 2) return buf.length === 1 && buf[0] !== SOCKS_VERSION ? badVersion(buf[0]!) : INCOMPLETE;
  if (buf[0] !== SOCKS_VERSION) return badVersion(buf[0]!);
  return { kind: 'ok', method: buf[1]!, end: 2 };
}

export function parseAuthStatus(buf: Buffer): AuthStatus | Incomplete | Invalid {
  if (buf.length < 2) return INCOMPLETE;
  // Some servers answer the sub-negotiation with version 0x05; the status byte is what counts.
  if (buf[0] !== AUTH_VERSION && buf[0] !== SOCKS_VERSION) {
    return { kind: 'invalid', reason: `auth status version 0x${hex(buf[0]!)} (expected 0x01)` };
  }
  return { kind: 'ok', status: buf[1]!, end: 2 };
}

/** Parses the reply to CONNECT / UDP ASSOCIATE. */
export function parseReply(buf: Buffer): Reply | Incomplete | Invalid {
  if (buf.length < 1) return INCOMPLETE;
  if (buf[0] !== SOCKS_VERSION) return badVersion(buf[0]!);
  if (buf.length < 4) return INCOMPLETE;
  const addr = readAddress(buf, 3);
  if (addr.kind !== 'ok') return addr;
  return { kind: 'ok', rep: buf[1]!, bind: { host: addr.host, port: addr.port }, end: addr.end };
}

function badVersion(v: number): Invalid {
  return { kind: 'invalid', reason: `version 0x${hex(v)} is not SOCKS5` };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
