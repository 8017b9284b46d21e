import tls from 'node:tls';

/** Most servers whose last session is kept for resumption. */
const MAX_SESSIONS = 256;

/**
 * Client-side TLS state shared by every dial: one SecureContext (the default trust store and
 * settings; building one per connection costs more than the handshake's own crypto) and the last
 * session ticket per server and verification policy, so the next connection resumes (TLS 1.3 PSK
 * with a fresh ECDHE share: no certificate signature to make or check) as v2ray's client does with
 * its session cache. The key includes everything that decided whether the first handshake was
 * accepted (name, insecure, pin, ALPN), so a session is never reused under a weaker policy.
 */
export class TlsSessionCache {
  private context: tls.SecureContext | null = null;
  private readonly sessions = new Map<string, Buffer>();

  secureContext(): tls.SecureContext {
    this.context ??= tls.createSecureContext({});
    return this.context;
  }

  get(key: string): Buffer | undefined {
    const s = this.sessions.get(key);
    if (s === undefined) return undefined;
    // Most recently used last, so the oldest goes first when full.
    this.sessions.delete(key);
    this.sessions.set(key, s);
    return s;
  }

  set(key: string, session: Buffer): void {
    this.sessions.delete(key);
    this.sessions.set(key, session);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }

  /** Forgets a server's session (after a failed or rejected handshake). */
  delete(key: string): void {
    this.sessions.delete(key);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** The process-wide cache dialTls uses. */
export const tlsSessions = new TlsSessionCache();
