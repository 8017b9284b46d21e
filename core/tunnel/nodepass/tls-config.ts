import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { NodePassUrl } from '../../codec/nodepass-url';
import { certFingerprint } from '../../codec/nodepass-key';
import { generateSelfSigned } from '../../common/self-signed';
import { CoreError } from '../../rpc';

/** The server end's TLS material for its pool connections. */
export interface ServerTls {
  context: tls.SecureContext;
  /** `sha256:` fingerprint of the leaf certificate, for `verify` signals. */
  fingerprint: string;
}

/**
 * tls=1: an in-memory self-signed certificate (core/common/self-signed); tls=2: the crt/key PEM files
 * (read once at start; NodePass reloads them hourly, not done here). TLS 1.3 only. null for tls=0.
 */
export function serverTls(url: NodePassUrl): ServerTls | null {
  const p = url.params;
  if (p.tls === 0) return null;
  let cert: string;
  let key: string;
  if (p.tls === 1) {
    ({ cert, key } = generateSelfSigned({ names: [url.tunnel.host || 'localhost'] }));
  } else {
    try {
      cert = readFileSync(p.crt!, 'utf8');
      key = readFileSync(p.key!, 'utf8');
    } catch (err) {
      throw new CoreError('E_CONFIG_INVALID', `tls=2: cannot read crt/key: ${(err as Error).message}`, { cause: err });
    }
  }
  let der: Buffer;
  try {
    der = new X509Certificate(cert).raw;
  } catch (err) {
    throw new CoreError('E_CONFIG_INVALID', `tls=${p.tls}: certificate is not valid PEM: ${(err as Error).message}`, { cause: err });
  }
  const context = tls.createSecureContext({ cert, key, minVersion: 'TLSv1.3' });
  return { context, fingerprint: certFingerprint(der) };
}
