import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

/** A certificate and its private key, both PEM. */
export interface SelfSignedCert {
  cert: string;
  key: string;
}

export interface SelfSignedOptions {
  /** DNS names and IP literals for subjectAltName; the first is also the subject CN. @default ["localhost"] */
  names?: string[];
  /** Validity in days from now (it starts a day earlier, for skewed clocks). @default 3650 */
  days?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * Generates a self-signed X.509 v3 certificate with an ECDSA P-256 key, in memory.
 *
 * Node has no certificate generator, so the DER is built here (a few dozen lines of ASN.1) and
 * signed with node:crypto, rather than running `openssl req`: the desktop builds run on Windows
 * and macOS machines that have no openssl binary, and no temp files or child processes are needed.
 * The certificate carries subjectAltName (DNS and IP entries), basicConstraints cA=false,
 * keyUsage digitalSignature and extKeyUsage serverAuth: what TLS clients check of a leaf
 * certificate when they are told to trust it (pinning, `allowInsecure`, or an imported cert).
 */
export function generateSelfSigned(opts: SelfSignedOptions = {}): SelfSignedCert {
  const names = opts.names && opts.names.length > 0 ? opts.names : ['localhost'];
  const now = (opts.now ?? Date.now)();
  const days = opts.days ?? 3650;
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const name = seq(set(seq(oid(OID_CN), utf8(names[0]!.slice(0, 64)))));
  const tbs = seq(
    ctx(0, int(Buffer.from([2]))),
    int(serial),
    seq(oid(OID_ECDSA_SHA256)),
    name,
    seq(time(now - DAY_MS), time(now + days * DAY_MS)),
    name,
    spki,
    ctx(3, seq(
      extension(OID_SAN, false, seq(...names.map(generalName))),
      extension(OID_BASIC_CONSTRAINTS, true, seq()),
      extension(OID_KEY_USAGE, true, bitString(Buffer.from([0x80]), 7)),
      extension(OID_EXT_KEY_USAGE, false, seq(oid(OID_SERVER_AUTH))),
    )),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, seq(oid(OID_ECDSA_SHA256)), bitString(signature, 0));
  return {
    cert: pem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const DAY_MS = 86_400_000;
const OID_CN = '2.5.4.3';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_SAN = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

/** [n] EXPLICIT */
function ctx(n: number, body: Buffer): Buffer {
  return tlv(0xa0 + n, body);
}

/** A non-negative INTEGER from big-endian bytes (minimal, with a 0 byte when the top bit is set). */
function int(bytes: Buffer): Buffer {
  let at = 0;
  while (at < bytes.length - 1 && bytes[at] === 0 && bytes[at + 1]! < 0x80) at++;
  const body = bytes.subarray(at);
  return tlv(0x02, body[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const groups = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

function utf8(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, 'utf8'));
}

function bitString(bytes: Buffer, unusedBits: number): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

function octets(bytes: Buffer): Buffer {
  return tlv(0x04, bytes);
}

function bool(v: boolean): Buffer {
  return tlv(0x01, Buffer.from([v ? 0xff : 0]));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = Number(iso.slice(0, 4));
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1')) : tlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

/** dNSName [2] or iPAddress [7], IMPLICIT. */
function generalName(name: string): Buffer {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  const family = isIP(bare);
  if (family === 4) return tlv(0x87, Buffer.from(bare.split('.').map(Number)));
  if (family === 6) return tlv(0x87, ipv6Bytes(bare));
  return tlv(0x82, Buffer.from(name, 'latin1'));
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []).flatMap((g) => {
    if (!g.includes('.')) return [parseInt(g, 16)];
    const v4 = g.split('.').map(Number);
    return [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
  });
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
