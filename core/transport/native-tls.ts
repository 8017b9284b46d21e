import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { formatHostPort } from '../common/net';
import type { FrontAddon, NativeError } from '../route/splice';
import { CoreError } from '../rpc';
import type { ServerTls } from './server-tls';
import type { TlsClientOptions } from './tls';

/** Most client contexts kept (one per server and policy, each holding that server's last ticket). */
const MAX_CLIENT_CONTEXTS = 256;

/** ALPN names in TLS wire format: each prefixed by its length. */
export function alpnWire(names: readonly string[] | undefined): Buffer {
  return Buffer.concat((names ?? []).map((n) => {
    const b = Buffer.from(n, 'latin1');
    return Buffer.concat([Buffer.from([b.length]), b]);
  }));
}

function pemBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v);
  throw new TypeError('expected one PEM certificate and one PEM key');
}

/** A native server context for the certificate and key loadServerTls produced. */
export function nativeServerContext(addon: FrontAddon, secure: ServerTls): object {
  const { cert, key, ALPNProtocols } = secure.options;
  return addon.tlsServerContext(pemBuffer(cert), pemBuffer(key), alpnWire(ALPNProtocols as string[] | undefined));
}

let trusted: Buffer | null = null;

/**
 * The trust store a JS dial verifies against: Node's bundled roots plus NODE_EXTRA_CA_CERTS,
 * as PEM (read once).
 */
function trustedPem(): Buffer {
  if (trusted !== null) return trusted;
  const parts = [...tls.rootCertificates];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      parts.push(readFileSync(extra, 'latin1'));
    } catch {
      // Node warned about it at startup, and ignores it too.
    }
  }
  trusted = Buffer.from(parts.join('\n'), 'latin1');
  return trusted;
}

const clientContexts = new Map<string, object>();

/**
 * The native client context for dialing host:port with these options, made once per server and
 * policy like the JS dial's session cache (tls-sessions.ts): the key holds everything that decided
 * whether a handshake was accepted, so a ticket is never resumed under a weaker policy. The name
 * checked is `sni`, or `host` (a name or an IP literal); SNI is never sent for an IP literal.
 */
export function nativeClientContext(addon: FrontAddon, host: string, port: number, opts: TlsClientOptions): object {
  const servername = opts.sni ?? host;
  const pin = opts.pinSha256 === undefined ? null : Buffer.from(opts.pinSha256.replace(/^sha256:/, ''), 'hex');
  const key = `${formatHostPort(host, port)}|${servername}|${opts.insecure ? 1 : 0}|${opts.pinSha256 ?? ''}|${(opts.alpn ?? []).join(',')}`;
  let ctx = clientContexts.get(key);
  if (ctx !== undefined) {
    clientContexts.delete(key); // most recently used last
  } else {
    const sni = isIP(servername) === 0 ? servername : null;
    const verifyName = opts.insecure ? null : servername;
    ctx = addon.tlsClientContext(sni, verifyName, verifyName === null ? null : trustedPem(), alpnWire(opts.alpn), pin);
  }
  clientContexts.set(key, ctx);
  if (clientContexts.size > MAX_CLIENT_CONTEXTS) clientContexts.delete(clientContexts.keys().next().value!);
  return ctx;
}

/**
 * A native TLS handshake's failure as the JS dial words it (dialTls): E_DIAL_RESET or E_DIAL_FAILED.
 * `reason`: what TLS said (err.reason without the "TLS: " of a WebSocket over TLS).
 */
export function nativeTlsError(err: NativeError, host: string, port: number, opts: TlsClientOptions, reason = err.reason): CoreError {
  const where = formatHostPort(host, port);
  const pin = /^certificate pin mismatch: the server presented (sha256:\S+)/.exec(reason ?? '');
  if (pin !== null) {
    return new CoreError('E_DIAL_FAILED', `certificate pin mismatch for ${where}: the server presented ${pin[1]}, expected ${opts.pinSha256}`, { cause: err });
  }
  const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
  return new CoreError(reset ? 'E_DIAL_RESET' : 'E_DIAL_FAILED', `TLS handshake with ${where} failed: ${reason ?? err.code ?? err.message}`, { cause: err });
}
