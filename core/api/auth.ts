import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-error';

/** What protects an API route: the token, and which browser origins may call it. */
export interface AuthOptions {
  /** The API token (`?token=` or `Authorization: Bearer`). */
  token: string;
  /**
   * Origins allowed besides the same origin, e.g. `https://admin.example.com` ("null" allows
   * pages without an origin, such as file://). @default []
   */
  allowOrigins?: readonly string[];
}

/** Compares a presented token with the expected one in constant time (lengths too). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: `Authorization: Bearer <t>` first, else `?token=`. */
export function requestToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' && q !== '' ? q : undefined;
}

/**
 * Whether a browser origin may call: no Origin (CLI and Node clients) is fine; otherwise the
 * Origin's host:port must equal the request's Host (the dashboard served from here) or the
 * origin must be in `allow`.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allow: readonly string[] = []): boolean {
  if (origin === undefined) return true;
  if (allow.includes(origin) || (origin !== 'null' && allow.some((a) => sameOrigin(a, origin)))) return true;
  if (origin === 'null' || !host) return false;
  try {
    const o = new URL(origin);
    // Resolving Host against the origin's scheme makes default ports compare equal (":80" vs none).
    return new URL(`${o.protocol}//${host}`).host === o.host;
  } catch {
    return false;
  }
}

/**
 * A fastify onRequest/preValidation hook: 403 for a foreign Origin, 401 for a missing
 * (E_AUTH_REQUIRED) or wrong (E_AUTH_FAILED) token. Runs before a WebSocket upgrade.
 */
export function requireAuth(opts: AuthOptions) {
  const allow = opts.allowOrigins ?? [];
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const origin = req.headers.origin;
    if (!originAllowed(origin, req.headers.host, allow)) {
      return sendError(reply, 403, 'E_AUTH_FAILED', `origin ${origin} not allowed`);
    }
    const given = requestToken(req);
    if (given === undefined) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, 401, 'E_AUTH_REQUIRED', 'an API token is required (?token= or Authorization: Bearer)');
    }
    if (!tokenMatches(given, opts.token)) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      return sendError(reply, 401, 'E_AUTH_FAILED', 'the API token is wrong');
    }
    return undefined;
  };
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
