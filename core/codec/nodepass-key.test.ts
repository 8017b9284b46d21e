import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { NODEPASS_VECTORS } from '../test/nodepass-vectors';
import {
  authToken, authorizationHeaderFor, certFingerprint, checkAuthorizationHeader, fnv1a32, tunnelKeyFor, verifyAuthToken, xorWithKey,
} from './nodepass-key';

const SHARED = fileURLToPath(new URL('../../../shared/data/nodepass-v1.14-tunnel-test-vectors.json', import.meta.url));

describe('test vectors copy', () => {
  it.skipIf(!existsSync(SHARED))('equals the shared data file', () => {
    expect(NODEPASS_VECTORS).toEqual(JSON.parse(readFileSync(SHARED, 'utf8')));
  });
});

describe('tunnel key', () => {
  it('FNV-1a-32 matches the published reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('derives every vector key from the port string, or takes the URL username', () => {
    for (const c of NODEPASS_VECTORS.cases) {
      if (c.port !== undefined) expect(tunnelKeyFor(c.port)).toBe(c.tunnelKey);
      else expect(tunnelKeyFor('10101', c.tunnelKey)).toBe(c.tunnelKey);
    }
  });

  it('keys on the port text as written, pads to 8 hex digits, and ignores an empty username', () => {
    expect(tunnelKeyFor('08080')).not.toBe(tunnelKeyFor('8080'));
    expect(tunnelKeyFor('8080', '')).toBe('40c0f1e5');
    for (let p = 1; p < 3000; p += 7) expect(tunnelKeyFor(String(p))).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('bearer token', () => {
  it('matches every vector header', () => {
    for (const c of NODEPASS_VECTORS.cases) {
      expect(authorizationHeaderFor(c.tunnelKey)).toBe(c.authorizationHeader);
      expect(`Bearer ${authToken(c.tunnelKey)}`).toBe(c.authorizationHeader);
    }
  });

  it('verifies the right token only', () => {
    const [a, b] = NODEPASS_VECTORS.cases;
    expect(verifyAuthToken(authToken(a!.tunnelKey), a!.tunnelKey)).toBe(true);
    expect(verifyAuthToken(authToken(b!.tunnelKey), a!.tunnelKey)).toBe(false);
    expect(verifyAuthToken(authToken(a!.tunnelKey).slice(1), a!.tunnelKey)).toBe(false);
    expect(verifyAuthToken(authToken(a!.tunnelKey).toUpperCase(), a!.tunnelKey)).toBe(false);
    expect(verifyAuthToken('', a!.tunnelKey)).toBe(false);
  });

  it('checks the Authorization header as NodePass does (exact "Bearer " prefix)', () => {
    const c = NODEPASS_VECTORS.cases[0]!;
    expect(checkAuthorizationHeader(c.authorizationHeader, c.tunnelKey)).toBe(true);
    expect(checkAuthorizationHeader(c.authorizationHeader.replace('Bearer', 'bearer'), c.tunnelKey)).toBe(false);
    expect(checkAuthorizationHeader(c.authorizationHeader.replace('Bearer ', 'Bearer  '), c.tunnelKey)).toBe(false);
    expect(checkAuthorizationHeader(undefined, c.tunnelKey)).toBe(false);
  });
});

describe('xorWithKey', () => {
  it('XORs with the repeated UTF-8 key bytes, in place, and undoes itself', () => {
    const buf = Buffer.from([0x00, 0x01, 0xff, 0x10, 0x20]);
    const out = xorWithKey(buf, 'ab');
    expect(out).toBe(buf);
    expect([...out]).toEqual([0x61, 0x63, 0x9e, 0x72, 0x41]);
    expect([...xorWithKey(out, Buffer.from('ab'))]).toEqual([0x00, 0x01, 0xff, 0x10, 0x20]);
    expect([...xorWithKey(Buffer.from([0, 0, 0]), 'é')]).toEqual([0xc3, 0xa9, 0xc3]);
  });

  it('refuses an empty key with E_CONFIG_INVALID', () => {
    let caught: unknown;
    try {
      xorWithKey(Buffer.alloc(1), '');
    } catch (err) {
      caught = err;
    }
    expect(isCoreError(caught, 'E_CONFIG_INVALID')).toBe(true);
  });
});

describe('certFingerprint', () => {
  it('is sha256: + uppercase colon-separated hex of the DER bytes', () => {
    // SHA-256("abc") from FIPS 180-2.
    expect(certFingerprint(Buffer.from('abc'))).toBe(
      'sha256:BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD',
    );
  });

  it('agrees with openssl and with Node for a real certificate', () => {
    const cert = new X509Certificate(readFileSync(fileURLToPath(new URL('../test/fixtures/mixed-tls-cert.pem', import.meta.url))));
    // `openssl x509 -noout -fingerprint -sha256` on the same file.
    const openssl = '11:10:CE:A9:C2:29:D8:9E:C1:AD:2F:D5:85:DB:33:FF:D0:59:7F:17:2D:CE:EE:EE:FF:B3:1B:00:8E:3A:6A:F7';
    expect(certFingerprint(cert.raw)).toBe(`sha256:${openssl}`);
    expect(certFingerprint(cert.raw)).toBe(`sha256:${cert.fingerprint256}`);
  });
});
