import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { generateSelfSigned } from './self-signed';

describe('generateSelfSigned', () => {
  it('builds a valid self-signed P-256 certificate with the names in subjectAltName', () => {
    const { cert, key } = generateSelfSigned({ names: ['relay.example', '127.0.0.1', '::1'] });
    const x = new X509Certificate(cert);
    expect(x.subject).toBe('CN=relay.example');
    expect(x.issuer).toBe('CN=relay.example');
    expect(x.subjectAltName).toBe('DNS:relay.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x.checkHost('relay.example')).toBe('relay.example');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 3000 * 86_400_000);
    expect(new Date(x.validFrom).getTime()).toBeLessThan(Date.now());
  });

  it('uses GeneralizedTime past 2049 and a fresh serial each time', () => {
    const a = new X509Certificate(generateSelfSigned({ now: () => Date.UTC(2049, 5, 1), days: 400 }).cert);
    expect(new Date(a.validTo).getUTCFullYear()).toBe(2050);
    const b = new X509Certificate(generateSelfSigned().cert);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.subject).toBe('CN=localhost');
  });

  it('is accepted by openssl and serves a TLS handshake that pins to it', async () => {
    const { cert, key } = generateSelfSigned({ names: ['localhost'] });
    const dir = mkdtempSync(join(tmpdir(), 'relaydesk-cert-'));
    try {
      writeFileSync(join(dir, 'cert.pem'), cert);
      const out = await new Promise<string>((resolve) => {
        execFile('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-text'], (err, stdout, stderr) => resolve(err ? `ERR ${stderr}` : stdout));
      });
      if (!out.startsWith('ERR') || !out.includes('ENOENT')) {
        expect(out).toContain('Signature Algorithm: ecdsa-with-SHA256');
        expect(out).toContain('DNS:localhost');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const server = tls.createServer({ cert, key }, (s) => s.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const c = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca: cert }, () => undefined);
        let text = '';
        c.on('data', (d: Buffer) => (text += d.toString()));
        c.on('end', () => resolve(text));
        c.on('error', reject);
      });
      expect(got).toBe('hi');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
