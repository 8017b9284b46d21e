import { isIP } from 'node:net';
import { CoreError } from '../rpc';
import { type Incomplete, type Invalid, INCOMPLETE, encodeAddress, formatIPv6, unmapIPv4 } from './address';

export { type Incomplete, type Invalid } from './address';

/**
 * HAProxy PROXY protocol version 1 (doc/proxy-protocol.txt §2.1): one US-ASCII line
 * `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n` sent before any payload, or `PROXY UNKNOWN\r\n`.
 */

/** Longest v1 line a receiver must accept, CRLF included. */
export const PROXY_V1_MAX_LINE = 107;

/** One end of the proxied connection: an IP literal (IPv6 without brackets) and a port. */
export interface ProxyEndpoint {
  address: string;
  port: number;
}

/** A decoded v1 header. `source`/`destination` are absent for UNKNOWN. */
export interface ProxyV1Header {
  kind: 'ok';
  protocol: 'TCP4' | 'TCP6' | 'UNKNOWN';
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  /** Offset of the first payload byte (just after the CRLF). */
  end: number;
}

/**
 * The v1 line for a connection from `src` (the user) to `dst` (the target as dialed).
 * IPv4-mapped IPv6 addresses are sent as IPv4; TCP6 addresses in RFC 5952 form, zone ids dropped.
 * When the families differ or an address is not an IP literal the line is `PROXY UNKNOWN\r\n`
 * (the spec's answer when the line cannot be filled correctly). Throws E_CONFIG_INVALID for a
 * port outside 0..65535.
 */
export function encodeProxyV1(src: ProxyEndpoint, dst: ProxyEndpoint): Buffer {
  for (const p of [src.port, dst.port]) {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new CoreError('E_CONFIG_INVALID', `PROXY v1 port ${p} is outside 0..65535`);
  }
  const s = canonicalIp(src.address);
  const d = canonicalIp(dst.address);
  if (s === null || d === null || s.family !== d.family) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  return Buffer.from(`PROXY TCP${s.family} ${s.text} ${d.text} ${src.port} ${dst.port}\r\n`, 'latin1');
}

/**
 * Reads a v1 header at the start of `buf`. Incomplete until the CRLF arrives (or the bytes seen
 * already cannot start a header); invalid when the CRLF is not within the first 107 bytes, a bare
 * CR or LF appears, or any field is off the grammar (single spaces, canonical IPv4 without leading
 * zeros, ports 0..65535 without leading zeros, both addresses of the announced family). For
 * UNKNOWN everything up to the CRLF is ignored. Never throws.
 */
export function parseProxyV1(buf: Buffer): ProxyV1Header | Incomplete | Invalid {
  const prefixLen = Math.min(buf.length, 6);
  if (buf.toString('latin1', 0, prefixLen) !== 'PROXY '.slice(0, prefixLen)) return invalid('does not start with "PROXY "');
  const limit = Math.min(buf.length, PROXY_V1_MAX_LINE);
  let lf = -1;
  for (let i = 0; i < limit; i++) {
    const c = buf[i]!;
    if (c === 0x0a) {
      lf = i;
      break;
    }
    if (c === 0x0d && i + 1 < buf.length && buf[i + 1] !== 0x0a) return invalid('CR not followed by LF');
  }
  if (lf < 0) return buf.length >= PROXY_V1_MAX_LINE ? invalid(`no CRLF within ${PROXY_V1_MAX_LINE} bytes`) : INCOMPLETE;
  if (lf === 0 || buf[lf - 1] !== 0x0d) return invalid('LF without CR');
  const line = buf.toString('latin1', 6, lf - 1);
  const end = lf + 1;
  if (line === 'UNKNOWN' || line.startsWith('UNKNOWN ')) return { kind: 'ok', protocol: 'UNKNOWN', end };
  const fields = line.split(' ');
  if (fields.length !== 5) return invalid('expected "TCP4|TCP6 <src> <dst> <sport> <dport>" separated by single spaces');
  const [proto, srcText, dstText, sportText, dportText] = fields as [string, string, string, string, string];
  if (proto !== 'TCP4' && proto !== 'TCP6') return invalid(`unknown protocol "${proto.slice(0, 16)}"`);
  const family = proto === 'TCP4' ? 4 : 6;
  if (!isFamilyAddress(srcText, family) || !isFamilyAddress(dstText, family)) return invalid(`address is not a canonical ${family === 4 ? 'IPv4' : 'IPv6'} literal`);
  const sport = parsePort(sportText);
  const dport = parsePort(dportText);
  if (sport < 0 || dport < 0) return invalid('port is not a decimal 0..65535 without leading zeros');
  return { kind: 'ok', protocol: proto, source: { address: srcText, port: sport }, destination: { address: dstText, port: dport }, end };
}

function invalid(reason: string): Invalid {
  return { kind: 'invalid', reason: `PROXY v1: ${reason}` };
}

function canonicalIp(address: string): { family: 4 | 6; text: string } | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return { family: 4, text: bare };
  if (family !== 6) return null;
  const text = formatIPv6(encodeAddress(bare, 0), 1);
  const v4 = unmapIPv4(text);
  return v4 === text ? { family: 6, text } : { family: 4, text: v4 };
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function isFamilyAddress(text: string, family: 4 | 6): boolean {
  if (family === 4) return IPV4.test(text);
  return /^[0-9A-Fa-f:.]+$/.test(text) && isIP(text) === 6;
}

function parsePort(text: string): number {
  if (!/^(?:0|[1-9]\d{0,4})$/.test(text)) return -1;
  const n = Number(text);
  return n <= 65535 ? n : -1;
}
