import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CoreError } from '../rpc';

/**
 * NodePass v1.14 tunnel secrets (internal/common.go): the tunnel key, the handshake's bearer token,
 * the XOR applied to control lines and the certificate fingerprint sent in `verify` signals.
 */

/** FNV-1a 32-bit hash of the UTF-8 bytes of `text` (Go's hash/fnv New32a). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The tunnel key: the URL username when there is one, else the lowercase hex of FNV-1a-32 of the
 * tunnel port exactly as written in the URL (so "08080" and "8080" give different keys).
 */
export function tunnelKeyFor(portString: string, userinfo?: string): string {
  if (userinfo !== undefined && userinfo !== '') return userinfo;
  return fnv1a32(portString).toString(16).padStart(8, '0');
}

/** hex(HMAC-SHA256(key = tunnel key, message = "")): the handshake's `Authorization: Bearer` token. */
export function authToken(key: string): string {
  return createHmac('sha256', key).digest('hex');
}

/** The whole `Authorization` header value the client sends in the handshake. */
export function authorizationHeaderFor(key: string): string {
  return `Bearer ${authToken(key)}`;
}

/**
 * Checks a presented token against the key's token in constant time (for equal lengths), like
 * Go's hmac.Equal on the hex strings. `token` is the part after "Bearer ".
 */
export function verifyAuthToken(token: string, key: string): boolean {
  const want = Buffer.from(authToken(key), 'latin1');
  const got = Buffer.from(token, 'latin1');
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * The server's check of the handshake header: exactly the prefix "Bearer " (case-sensitive, as
 * NodePass) followed by the key's token. A missing header fails.
 */
export function checkAuthorizationHeader(header: string | undefined, key: string): boolean {
  return header !== undefined && header.startsWith('Bearer ') && verifyAuthToken(header.slice(7), key);
}

/**
 * XORs `buf` in place with the UTF-8 bytes of `key` repeated from index 0 and returns it. Applying
 * it twice restores the input. Throws E_CONFIG_INVALID for an empty key (Go would panic).
 */
export function xorWithKey(buf: Buffer, key: string | Buffer): Buffer {
  const k = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (k.length === 0) throw new CoreError('E_CONFIG_INVALID', 'tunnel key is empty');
  const n = k.length;
  for (let i = 0; i < buf.length; i++) buf[i] = buf[i]! ^ k[i % n]!;
  return buf;
}

/** `sha256:` + uppercase colon-separated hex of SHA-256 over the certificate's DER bytes. */
export function certFingerprint(der: Buffer): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  const pairs: string[] = new Array(hex.length / 2);
  for (let i = 0; i < pairs.length; i++) pairs[i] = hex.slice(i * 2, i * 2 + 2);
  return `sha256:${pairs.join(':')}`;
}
