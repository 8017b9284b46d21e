import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { formatHostPort } from '../common/net';
import { CoreError } from '../rpc';
import { tlsSessions } from './tls-sessions';

/** How a client checks and presents itself to a TLS server. */
export interface TlsClientOptions {
  /** Server name for SNI and certificate verification. @default `host` when it is a name (no SNI for IP literals) */
  sni?: string;
  /** ALPN protocols offered, in order. @default [] (no ALPN extension) */
  alpn?: readonly string[];
  /** Accept any certificate chain and name (self-signed servers); a pin is still checked. @default false */
  insecure?: boolean;
  /**
   * "sha256:" + hex of the SHA-256 of the leaf certificate's DER (colons and case ignored). A
   * mismatch fails the dial even when `insecure`. @default no pin
   */
  pinSha256?: string;
}

export interface TlsDialOptions extends TlsClientOptions {
  host: string;
  port: number;
  /** Aborting destroys the socket; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Opens TCP + TLS. Resolves after the handshake (and the pin check) with the TLSSocket:
 * allowHalfOpen, noDelay and paused (call resume() to read), with none of this function's
 * listeners left on it (add an 'error' listener at once). Rejects with the raw socket error while TCP connects (`code`
 * ECONNREFUSED, ...: map it with dialError), with a CoreError afterwards (E_DIAL_FAILED "TLS
 * handshake with host:port failed: ...", "certificate pin mismatch ...", E_DIAL_RESET when the
 * server reset it), or with `signal.reason`.
 */
export function dialTls(opts: TlsDialOptions): Promise<TLSSocket> {
  const { host, port, signal } = opts;
  const where = formatHostPort(host, port);
  return new Promise<TLSSocket>((resolve, reject) => {
    const pin = opts.pinSha256 === undefined ? null : normalizePin(opts.pinSha256);
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const servername = opts.sni ?? (isIP(host) === 0 ? host : undefined);
    const sessionKey = `${where}|${servername ?? ''}|${opts.insecure ? 1 : 0}|${pin ?? ''}|${(opts.alpn ?? []).join(',')}`;
    // allowHalfOpen is honoured by tls.connect (passed to the TLSSocket) but missing from its type.
    const socket = tls.connect({
      host, port, allowHalfOpen: true,
      secureContext: tlsSessions.secureContext(),
      session: tlsSessions.get(sessionKey),
      // Node refuses an IP literal as SNI (RFC 6066 §3): send none then, verify against the IP.
      servername: servername !== undefined && isIP(servername) === 0 ? servername : undefined,
      ALPNProtocols: opts.alpn && opts.alpn.length > 0 ? [...opts.alpn] : undefined,
      rejectUnauthorized: !opts.insecure,
      checkServerIdentity: (name: string, cert: tls.PeerCertificate) => (opts.insecure ? undefined : tls.checkServerIdentity(servername ?? name, cert)),
    } as tls.ConnectionOptions);
    let tcpConnected = false;
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onTcpConnect);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
    };
    const fail = (err: unknown) => {
      cleanup();
      tlsSessions.delete(sessionKey);
      socket.destroy();
      reject(err);
    };
    // TLS 1.3 tickets arrive after the handshake; keep the latest for the next dial.
    const onSession = (session: Buffer) => tlsSessions.set(sessionKey, session);
    socket.on('session', onSession);
    function onAbort() {
      fail(signal!.reason);
    }
    function onTcpConnect() {
      tcpConnected = true;
    }
    function onError(err: NodeJS.ErrnoException) {
      if (!tcpConnected) return fail(err);
      const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
      fail(new CoreError(reset ? 'E_DIAL_RESET' : 'E_DIAL_FAILED', `TLS handshake with ${where} failed: ${err.message}`, { cause: err }));
    }
    function onSecure() {
      // A resumed session carries no certificate; it was pinned when first made (the pin is in its key).
      if (pin !== null && !socket.isSessionReused()) {
        const got = certificatePin(socket.getPeerCertificate().raw);
        if (got !== pin) return fail(new CoreError('E_DIAL_FAILED', `certificate pin mismatch for ${where}: the server presented ${got}, expected ${pin}`));
      }
      cleanup();
      socket.setNoDelay(true);
      socket.pause();
      resolve(socket);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', onTcpConnect);
    socket.once('secureConnect', onSecure);
    socket.on('error', onError);
  });
}

/** The pin of a DER certificate as "sha256:<64 lowercase hex>". */
export function certificatePin(der: Buffer | undefined): string {
  return `sha256:${der ? createHash('sha256').update(der).digest('hex') : 'none'}`;
}

/** "sha256:AB:CD..." → "sha256:abcd..."; throws E_CONFIG_INVALID for anything that is not 32 bytes of hex. */
export function normalizePin(pin: string): string {
  const hex = pin.replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new CoreError('E_CONFIG_INVALID', `"${pin.slice(0, 120)}" is not a certificate pin (expected sha256: and 64 hex digits)`);
  return `sha256:${hex}`;
}
