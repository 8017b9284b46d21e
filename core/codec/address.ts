import { isIP } from 'node:net';
import { CoreError } from '../rpc';

/** SOCKS5 address types (RFC 1928 §5). */
export const ATYP_IPV4 = 0x01;
export const ATYP_DOMAIN = 0x03;
export const ATYP_IPV6 = 0x04;

/** A decoded address: `host` is a dotted IPv4, a canonical IPv6 (RFC 5952, no brackets) or a domain. */
export interface AddressOk {
  kind: 'ok';
  atyp: number;
  host: string;
  port: number;
  /** Offset of the first byte after the port. */
  end: number;
}

/** More bytes are needed before anything can be decided. */
export interface Incomplete {
  kind: 'incomplete';
}

/** The bytes can never become valid; `reason` is for logs. */
export interface Invalid {
  kind: 'invalid';
  reason: string;
  /** The offending address type byte, when the ATYP was the problem. */
  badAtyp?: number;
}

export type AddressResult = AddressOk | Incomplete | Invalid;

export const INCOMPLETE: Incomplete = Object.freeze({ kind: 'incomplete' }) as Incomplete;

/**
 * Reads ATYP, address and port at `offset` (RFC 1928 §4/§5). Domains must be 1..255 printable
 * ASCII bytes (IDNs travel as punycode); a bracketed IPv6 literal sent as a domain is unwrapped.
 */
export function readAddress(buf: Buffer, offset: number): AddressResult {
  if (buf.length <= offset) return INCOMPLETE;
  const atyp = buf[offset]!;
  let host: string;
  let at: number;
  switch (atyp) {
    case ATYP_IPV4:
      if (buf.length < offset + 7) return INCOMPLETE;
      host = `${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}.${buf[offset + 4]}`;
      at = offset + 5;
      break;
    case ATYP_IPV6:
      if (buf.length < offset + 19) return INCOMPLETE;
      host = formatIPv6(buf, offset + 1);
      at = offset + 17;
      break;
    case ATYP_DOMAIN: {
      if (buf.length < offset + 2) return INCOMPLETE;
      const len = buf[offset + 1]!;
      if (len === 0) return { kind: 'invalid', reason: 'empty domain name' };
      if (buf.length < offset + 2 + len + 2) return INCOMPLETE;
      for (let i = offset + 2; i < offset + 2 + len; i++) {
        const c = buf[i]!;
        if (c < 0x21 || c > 0x7e) return { kind: 'invalid', reason: `domain name has a non-printable byte 0x${c.toString(16).padStart(2, '0')}` };
      }
      host = buf.toString('latin1', offset + 2, offset + 2 + len);
      if (host.charCodeAt(0) === 0x5b && host.charCodeAt(len - 1) === 0x5d && isIP(host.slice(1, -1)) === 6) host = host.slice(1, -1);
      at = offset + 2 + len;
      break;
    }
    default:
      return { kind: 'invalid', reason: `unsupported address type 0x${atyp.toString(16).padStart(2, '0')}`, badAtyp: atyp };
  }
  return { kind: 'ok', atyp, host, port: buf.readUInt16BE(at), end: at + 2 };
}

/** Bytes `writeAddress` needs for `host` (ATYP + address + port). */
export function addressLength(host: string): number {
  const family = isIP(host);
  if (family === 4) return 7;
  if (family === 6) return 19;
  return 4 + Buffer.byteLength(host, 'latin1');
}

/**
 * Writes ATYP, address and port at `offset`; returns the offset after the port. IP literals
 * become ATYP 1/4 (IPv6 zone ids are dropped), anything else a domain (at most 255 bytes).
 * Throws E_PROTO_UNSUPPORTED for a name that cannot be encoded; `buf` must have addressLength bytes.
 */
export function writeAddress(buf: Buffer, offset: number, host: string, port: number): number {
  const family = isIP(host);
  let at: number;
  if (family === 4) {
    buf[offset] = ATYP_IPV4;
    writeIPv4(buf, offset + 1, host);
    at = offset + 5;
  } else if (family === 6) {
    buf[offset] = ATYP_IPV6;
    writeIPv6(buf, offset + 1, host);
    at = offset + 17;
  } else {
    const len = Buffer.byteLength(host, 'latin1');
    if (len === 0 || len > 255 || !/^[\x21-\x7e]+$/.test(host)) {
      throw new CoreError('E_PROTO_UNSUPPORTED', `"${host.slice(0, 64)}" cannot be sent as a SOCKS address (1..255 printable ASCII bytes)`);
    }
    buf[offset] = ATYP_DOMAIN;
    buf[offset + 1] = len;
    buf.write(host, offset + 2, 'latin1');
    at = offset + 2 + len;
  }
  buf.writeUInt16BE(port & 0xffff, at);
  return at + 2;
}

/** A fresh buffer holding ATYP, address and port. */
export function encodeAddress(host: string, port: number): Buffer {
  const buf = Buffer.allocUnsafe(addressLength(host));
  writeAddress(buf, 0, host, port);
  return buf;
}

/**
 * 16 bytes at `offset` as RFC 5952 text: lowercase, no leading zeros, the longest run of two or
 * more zero groups (the first on a tie) as "::", IPv4-mapped addresses as "::ffff:a.b.c.d".
 */
export function formatIPv6(buf: Buffer, offset = 0): string {
  const g: number[] = new Array(8);
  for (let i = 0; i < 8; i++) g[i] = buf.readUInt16BE(offset + i * 2);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${buf[offset + 12]}.${buf[offset + 13]}.${buf[offset + 14]}.${buf[offset + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** An IPv4-mapped IPv6 text ("::ffff:1.2.3.4", as Node reports dual-stack peers) as plain IPv4. */
export function unmapIPv4(address: string): string {
  return address.length > 7 && address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function writeIPv4(buf: Buffer, offset: number, ip: string): void {
  let part = 0;
  let at = offset;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      buf[at++] = part;
      part = 0;
    } else {
      part = part * 10 + (c - 48);
    }
  }
  buf[at] = part;
}

/** Expects a valid IPv6 literal (checked with isIP); a zone id ("%eth0") is ignored. */
function writeIPv6(buf: Buffer, offset: number, text: string): void {
  const zone = text.indexOf('%');
  let ip = zone < 0 ? text : text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = ip.lastIndexOf(':');
  if (ip.includes('.', lastColon)) {
    const v4 = Buffer.alloc(4);
    writeIPv4(v4, 0, ip.slice(lastColon + 1));
    tail = [v4.readUInt16BE(0), v4.readUInt16BE(2)];
    ip = ip.slice(0, lastColon + 1);
    if (!ip.endsWith('::')) ip = ip.slice(0, -1);
  }
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((x) => parseInt(x, 16)));
  const dbl = ip.indexOf('::');
  let groups: number[];
  if (dbl >= 0) {
    const head = parse(ip.slice(0, dbl));
    const rest = parse(ip.slice(dbl + 2));
    groups = [...head, ...new Array<number>(8 - tail.length - head.length - rest.length).fill(0), ...rest];
  } else {
    groups = parse(ip);
  }
  groups.push(...tail);
  for (let i = 0; i < 8; i++) buf.writeUInt16BE(groups[i]!, offset + i * 2);
}
