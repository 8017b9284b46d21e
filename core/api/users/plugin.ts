import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Logger } from '../../log/logger';
import { CoreError } from '../../rpc';
import { tokenMatches } from '../auth';
import type { EngineLike } from '../rpc-route';
import { ApiFail, sendFail, sendOk } from './envelope';
import { runUsersCall } from './handlers';
import { isMutating, matchRoute } from './routes';
import { createWhitelist } from './whitelist';

/**
 * The users API (telemt's control-API contract, PROTOCOLS.md §4) under `/v1` on the control API
 * server. It serves one VLESS relay: `?instance=<id>`, else the first VLESS instance.
 */
export interface UsersApiOptions {
  /** false → every request gets 503 api_disabled. @default true */
  enabled?: boolean;
  /** Source-IP allowlist (direct peer only); empty = everyone. @default ["127.0.0.0/8", "::1/128"] */
  whitelist?: string[];
  /**
   * Exact value the `Authorization` header must have (compared in constant time); "" disables
   * header auth. @default "Bearer <control API token>"
   */
  authHeader?: string;
  /** Refuse every mutating request with 403 read_only. @default false */
  readOnly?: boolean;
  /** Largest request body in bytes, 1..1048576. @default 65536 */
  bodyLimit?: number;
  /** A peer outside the whitelist: "drop" (close without a response), "api" (403 forbidden), "200" (empty 200). @default "drop" */
  grayAction?: 'drop' | 'api' | '200';
}

export interface UsersPluginOptions extends UsersApiOptions {
  engine: EngineLike;
  /** The control API token (the default authHeader). */
  token: string;
  log: Logger;
}

/** Checks in telemt's order: enabled → whitelist → Authorization → route/method → read_only → body → logic. */
export const usersApiPlugin: FastifyPluginAsync<UsersPluginOptions> = async (app, opts) => {
  const bodyLimit = opts.bodyLimit ?? 65_536;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1 || bodyLimit > 1_048_576) {
    throw new CoreError('E_CONFIG_INVALID', `users API bodyLimit ${bodyLimit} is not in 1..1048576`);
  }
  const whitelist = createWhitelist(opts.whitelist ?? ['127.0.0.0/8', '::1/128']);
  const authHeader = opts.authHeader ?? `Bearer ${opts.token}`;
  const readOnly = opts.readOnly ?? false;
  const grayAction = opts.grayAction ?? 'drop';
  // request_id: a counter from 1 over this server's lifetime (telemt: per process).
  let requestId = 0;

  // Bodies are read by hand, after the auth and route checks, with this API's own limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const id = ++requestId;
    try {
      if (opts.enabled === false) throw new ApiFail(503, 'api_disabled', 'the users API is disabled');
      if (!whitelist.allows(req.socket.remoteAddress ?? '')) {
        if (grayAction === 'drop') {
          reply.hijack();
          req.socket.destroy();
          return;
        }
        if (grayAction === '200') return reply.code(200).type('text/html').send('');
        throw new ApiFail(403, 'forbidden', 'source address not allowed');
      }
      if (authHeader !== '' && !tokenMatches(req.headers.authorization, authHeader)) {
        throw new ApiFail(401, 'unauthorized', 'missing or wrong Authorization header');
      }
      const [path, query] = splitUrl(req.url);
      const route = matchRoute(req.method, path);
      const mutating = isMutating(req.method);
      if (mutating && readOnly) throw new ApiFail(403, 'read_only', 'the users API is read-only');
      const body = mutating ? await readJson(req, bodyLimit) : {};
      if (body === null && (route.kind === 'users' || (route.kind === 'user' && req.method === 'PATCH'))) {
        throw new ApiFail(400, 'bad_request', 'Invalid request body');
      }
      const ifMatch = req.headers['if-match'];
      const result = await runUsersCall(opts.engine, {
        route, method: req.method, body: body ?? {}, readOnly,
        instance: query.get('instance'),
        ifMatch: typeof ifMatch === 'string' ? ifMatch.trim().replace(/^"(.*)"$/, '$1') : null,
      });
      return sendOk(reply, result.status, result.data, result.revision);
    } catch (err) {
      if (err instanceof ApiFail) return sendFail(reply, err, id);
      opts.log.error(`users api: ${(err as Error).message}`);
      return sendFail(reply, new ApiFail(500, 'internal_error', 'internal error'), id);
    }
  };
  app.all('/v1', handler);
  app.all('/v1/*', handler);
};

function splitUrl(url: string): [string, URLSearchParams] {
  const q = url.indexOf('?');
  return q < 0 ? [url, new URLSearchParams()] : [url.slice(0, q), new URLSearchParams(url.slice(q + 1))];
}

/** The body as a JSON object; null when empty; 413 over the limit, 400 for bad JSON or a non-object. */
async function readJson(req: FastifyRequest, limit: number): Promise<Record<string, unknown> | null> {
  const stream = req.body as Readable | undefined;
  if (!stream || typeof stream.on !== 'function') return null;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  if (size === 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiFail(400, 'bad_request', 'Invalid JSON body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiFail(400, 'bad_request', 'Invalid request body');
  return value as Record<string, unknown>;
}

function tooLarge(limit: number): ApiFail {
  return new ApiFail(413, 'payload_too_large', `request body is larger than ${limit} bytes`);
}
