import { isIP } from 'node:net';
import { INCOMPLETE, type Incomplete, type Invalid } from './address';

export { type Incomplete, type Invalid } from './address';

/** A request head (request line + headers + the blank line) may not be longer than this. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** Always removed when a proxy forwards a message (RFC 9110 §7.6.1), plus the names Connection lists. */
export const HOP_BY_HOP = Object.freeze([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

export interface RequestHead {
  kind: 'ok';
  method: string;
  /** The request target as sent: "host:port" for CONNECT, "http://host/path" for absolute-form. */
  target: string;
  version: '1.0' | '1.1';
  /** Header fields in order, names as sent, values trimmed. */
  headers: [name: string, value: string][];
  /** Offset after the blank line: bytes from here on are body or tunnel data. */
  end: number;
}

/** A head that can never be valid; `status` is the response to send (400, or 431 for a head too large). */
export interface InvalidHead extends Invalid {
  status: 400 | 431;
}

export interface AbsoluteTarget {
  scheme: 'http' | 'https';
  /** Domain, IPv4 or IPv6 (without brackets). */
  host: string;
  port: number;
  /** Origin-form: path and query, at least "/"; a fragment is removed. */
  path: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Parses a request head from the start of `buf`. Incomplete until the blank line arrives; invalid
 * (400) as soon as the request line or a header is malformed, or (431 "header too large") when
 * `maxBytes` pass without the blank line. Obsolete line folding is rejected.
 */
export function parseRequestHead(buf: Buffer, maxBytes = MAX_HEAD_BYTES): RequestHead | Incomplete | InvalidHead {
  const lineEnd = buf.indexOf('\r\n');
  if (lineEnd < 0 || lineEnd > maxBytes) return buf.length >= maxBytes ? tooLarge() : INCOMPLETE;
  const line = parseRequestLine(buf.toString('latin1', 0, lineEnd));
  if (typeof line === 'string') return bad(line);
  const blank = buf.indexOf(CRLF2, lineEnd);
  const end = blank < 0 ? -1 : blank + 4;
  if (end < 0 || end > maxBytes) return buf.length >= maxBytes ? tooLarge() : INCOMPLETE;
  const headers: [string, string][] = [];
  let at = lineEnd + 2;
  while (at < blank + 2) {
    const eol = buf.indexOf('\r\n', at);
    const text = buf.toString('latin1', at, eol);
    at = eol + 2;
    const colon = text.indexOf(':');
    if (colon <= 0) return bad(text.charCodeAt(0) === 32 || text.charCodeAt(0) === 9 ? 'obsolete header line folding' : 'header line without a name');
    const name = text.slice(0, colon);
    if (!TOKEN.test(name)) return bad(`bad header name "${printable(name)}"`);
    const value = text.slice(colon + 1).trim();
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return bad(`control character in header ${name}`);
    headers.push([name, value]);
  }
  return { kind: 'ok', method: line.method, target: line.target, version: line.version, headers, end };
}

/** The first value of header `name` (case-insensitive), or undefined. */
export function headerValue(headers: [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** A CONNECT target: "host:port" or "[v6]:port", port 1..65535. Null when malformed. */
export function parseAuthorityTarget(target: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._~-]+)):(\d{1,5})$/.exec(target);
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) return null;
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { host, port } : null;
}

/**
 * An absolute-form target ("http://host[:port]/path?query"). The path is kept byte for byte (no
 * dot-segment or percent normalisation: the origin decides). User info is refused. Null when malformed.
 */
export function parseAbsoluteTarget(target: string): AbsoluteTarget | null {
  const m = /^(https?):\/\/(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._~-]+))(?::(\d{1,5}))?([/?#][\x21-\x7e]*)?$/i.exec(target);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase() as 'http' | 'https';
  const host = m[2] ?? m[3]!;
  if (m[2] !== undefined && isIP(host) !== 6) return null;
  const port = m[4] === undefined ? (scheme === 'https' ? 443 : 80) : Number(m[4]);
  if (port < 1 || port > 65535) return null;
  let path = m[5] ?? '/';
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (!path.startsWith('/')) path = `/${path}`;
  return { scheme, host, port, path };
}

/**
 * Lowercased names to drop when forwarding a message: HOP_BY_HOP plus every token of the
 * Connection header(s). `keep` names survive (e.g. "upgrade" and "connection" when relaying an
 * Upgrade request, whose handshake must reach the origin).
 */
export function hopByHopNames(connection: string | string[] | undefined, keep: readonly string[] = []): Set<string> {
  const names = new Set<string>(HOP_BY_HOP);
  const values = connection === undefined ? [] : Array.isArray(connection) ? connection : [connection];
  for (const v of values) for (const token of v.split(',')) {
    const t = token.trim().toLowerCase();
    if (t !== '') names.add(t);
  }
  for (const k of keep) names.delete(k);
  return names;
}

/**
 * Copies a flat raw header list (`[name, value, name, value, ...]`, as node:http gives and takes
 * it) without the fields whose lowercased names are in `drop`.
 */
export function filterRawHeaders(raw: readonly string[], drop: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!drop.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** The Host header value for a target: the port only when it is not the scheme's default. */
export function hostHeaderFor(target: Pick<AbsoluteTarget, 'scheme' | 'host' | 'port'>): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return target.port === (target.scheme === 'https' ? 443 : 80) ? host : `${host}:${target.port}`;
}

/** Credentials from a `Basic` Authorization/Proxy-Authorization value; null when absent or malformed. */
export function decodeBasicAuth(value: string | undefined): { username: string; password: string } | null {
  if (value === undefined) return null;
  const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(value);
  if (!m || m[1]!.length % 4 === 1) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Builds the `Basic` credentials value for a user (the inverse of decodeBasicAuth). */
export function encodeBasicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * A complete small response with a plain-text body and `Connection: close`, for answers written
 * straight to a socket (CONNECT results, errors before node:http takes over).
 */
export function encodeSimpleResponse(status: number, reason: string, body = '', headers: [string, string][] = []): Buffer {
  const bodyBuf = Buffer.from(body, 'utf8');
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [n, v] of headers) head += `${n}: ${v}\r\n`;
  if (status !== 200 || bodyBuf.length > 0) {
    head += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${bodyBuf.length}\r\nConnection: close\r\n`;
  }
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), bodyBuf]);
}

function parseRequestLine(line: string): { method: string; target: string; version: '1.0' | '1.1' } | string {
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.([01])$/.exec(line);
  if (!m) return `malformed request line "${printable(line.slice(0, 80))}"`;
  return { method: m[1]!, target: m[2]!, version: m[3] === '0' ? '1.0' : '1.1' };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

function bad(reason: string): InvalidHead {
  return { kind: 'invalid', reason, status: 400 };
}

function tooLarge(): InvalidHead {
  return { kind: 'invalid', reason: 'header too large', status: 431 };
}
