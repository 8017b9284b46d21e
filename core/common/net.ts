import { isIP } from 'node:net';

/** A parsed IP address: IPv4 as an unsigned 32-bit number, IPv6 as a 128-bit bigint. */
export type ParsedIp = { family: 4; v4: number } | { family: 6; v6: bigint };

/** A parsed CIDR block; `prefix` is the network address with the host bits cleared. */
export type Cidr =
  | { family: 4; bits: number; prefix: number; mask: number }
  | { family: 6; bits: number; prefix: bigint; mask: bigint };

export function isIPv4(text: string): boolean {
  return isIP(text) === 4;
}

/** True for IPv6 literals without brackets (zone ids like "fe80::1%eth0" included). */
export function isIPv6(text: string): boolean {
  return isIP(text) === 6;
}

/**
 * Parses an IP literal (IPv6 without brackets; a zone id is ignored). IPv4-mapped IPv6
 * ("::ffff:1.2.3.4") comes back as the IPv4 address it carries. Null when `text` is no IP.
 */
export function parseIp(text: string): ParsedIp | null {
  const family = isIP(text);
  if (family === 4) return { family: 4, v4: v4ToNumber(text) };
  if (family !== 6) return null;
  const v6 = v6ToBigInt(text);
  if (v6 >> 32n === 0xffffn) return { family: 4, v4: Number(v6 & 0xffffffffn) };
  return { family: 6, v6 };
}

/** Parses "a.b.c.d/n" or "v6/n"; throws a TypeError naming the text when it is not a CIDR. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const bitsText = slash < 0 ? '' : text.slice(slash + 1);
  const family = isIP(ip);
  const max = family === 4 ? 32 : 128;
  const bits = slash < 0 ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  if (family === 0 || bits < 0 || bits > max) throw new TypeError(`"${text}" is not a CIDR (expected address/prefix)`);
  if (family === 4) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { family: 4, bits, prefix: (v4ToNumber(ip) & mask) >>> 0, mask };
  }
  const v6 = v6ToBigInt(ip);
  // A mapped-IPv4 block ("::ffff:10.0.0.0/104") is the IPv4 block it describes.
  if (bits >= 96 && v6 >> 32n === 0xffffn) return parseCidr(`${numberToV4(Number(v6 & 0xffffffffn))}/${bits - 96}`);
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
  return { family: 6, bits, prefix: v6 & mask, mask };
}

/** Whether `ip` (a literal or a parseIp result) lies in `cidr`. IPv4-mapped IPv6 matches IPv4 blocks. */
export function cidrContains(cidr: Cidr, ip: string | ParsedIp | null): boolean {
  const p = typeof ip === 'string' ? parseIp(ip) : ip;
  if (p === null || p.family !== cidr.family) return false;
  if (cidr.family === 4) return ((p as { v4: number }).v4 & cidr.mask) >>> 0 === cidr.prefix;
  return ((p as { v6: bigint }).v6 & cidr.mask) === cidr.prefix;
}

const LOCAL_BLOCKS: Cidr[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.168.0.0/16', '::/128', '::1/128', 'fc00::/7', 'fe80::/10',
].map(parseCidr);

/**
 * Private, loopback, link-local, CGNAT and unspecified addresses (IPv4, IPv6 and IPv4-mapped):
 * the destinations "LAN bypass" sends direct. False for anything that is not an IP literal.
 */
export function isPrivateOrLocal(ip: string | ParsedIp | null): boolean {
  const p = typeof ip === 'string' ? parseIp(ip) : ip;
  if (p === null) return false;
  for (const block of LOCAL_BLOCKS) if (cidrContains(block, p)) return true;
  return false;
}

/**
 * Host names that can only mean this machine or the local network: "localhost", "*.localhost"
 * (RFC 6761) and single-label names ("nas", "router"). Case-insensitive; a trailing dot is ignored.
 */
export function isLocalHostname(host: string): boolean {
  const h = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  if (h === '' || isIP(h) !== 0) return false;
  return h === 'localhost' || h.endsWith('.localhost') || !h.includes('.');
}

/** "host:port", with IPv6 literals in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function v4ToNumber(ip: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = (n << 8) | part;
      part = 0;
    } else {
      part = part * 10 + (c - 48);
    }
  }
  return ((n << 8) | part) >>> 0;
}

function numberToV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Expects a valid IPv6 literal (checked by isIP first). */
function v6ToBigInt(text: string): bigint {
  const zone = text.indexOf('%');
  let ip = zone < 0 ? text : text.slice(0, zone);
  const groups: number[] = [];
  const lastColon = ip.lastIndexOf(':');
  let tail: number[] = [];
  if (ip.includes('.', lastColon)) {
    const v4 = v4ToNumber(ip.slice(lastColon + 1));
    tail = [v4 >>> 16, v4 & 0xffff];
    const head = ip.slice(0, lastColon + 1);
    ip = head.endsWith('::') ? head : head.slice(0, -1);
  }
  const dbl = ip.indexOf('::');
  const parseGroups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  if (dbl >= 0) {
    const head = parseGroups(ip.slice(0, dbl));
    const rest = parseGroups(ip.slice(dbl + 2));
    const fill = 8 - tail.length - head.length - rest.length;
    groups.push(...head, ...new Array<number>(fill).fill(0), ...rest);
  } else {
    groups.push(...parseGroups(ip));
  }
  groups.push(...tail);
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}
