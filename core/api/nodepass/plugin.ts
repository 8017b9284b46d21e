import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log/logger';
import { tokenMatches } from '../auth';
import type { EngineLike } from '../rpc-route';
import { createDocsAssets, swaggerHtml } from './docs';
import { NpEventHub } from './events';
import { goDecode, GoDecodeError, goJson, goLen } from './go-compat';
import { masterInfo } from './info';
import {
  createNpInstance, deleteNpInstance, getNpInstance, listNpInstances, NpError, patchNpInstance, putNpInstance, type NpContext,
} from './instances';
import { buildOpenApi } from './openapi';
import { UpdateMasterAliasRequest } from './schemas';
import { createTcping, type TcpingOptions } from './tcping';

/**
 * The NodePass-compatible master API (PROTOCOLS.md §1.2) at `settings.masterApi.prefix + "/v1"`
 * (prefix read when the server starts; `enabled` and `key` read on every request).
 */
export interface NodePassApiOptions {
  /** Limits of /tcping. @default {concurrency: 10, queueWaitMs: 1000, dialTimeoutMs: 5000} */
  tcping?: TcpingOptions;
  /** SSE frames queued per slow subscriber before dropping. @default 10 */
  sseBufferSize?: number;
}

export interface NodePassPluginOptions extends NodePassApiOptions {
  engine: EngineLike;
  log: Logger;
}

/** Headers NodePass puts on every API response (setCorsHeaders). */
export const NP_CORS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, PATCH, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-API-Key, Cache-Control',
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const MAX_ALIAS = 256;

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export const nodePassApiPlugin: FastifyPluginAsync<NodePassPluginOptions> = async (app, opts) => {
  const settings = await opts.engine.getSettings(undefined);
  const base = `${settings.masterApi.prefix}/v1`;
  await app.register(masterRoutes, { ...opts, base, prefix: base });
};

const masterRoutes: FastifyPluginAsync<NodePassPluginOptions & { base: string }> = async (app, opts) => {
  const { engine, log, base } = opts;
  const hub = await NpEventHub.create({ engine, log, bufferSize: opts.sseBufferSize });
  const ctx: NpContext = { engine, log, hub };
  const tcping = createTcping(opts.tcping);
  const asset = createDocsAssets();
  const startedAt = Date.now();
  const spec = async () => buildOpenApi({ base, version: (await engine.getInfo(undefined)).version });

  // SSE streams never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => hub.close());
  app.addHook('onClose', async () => hub.close());
  // Bodies are decoded by hand with encoding/json's rules; this parser stays inside this plugin.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setNotFoundHandler((_req, reply) => goNotFound(reply));
  // The dashboard's wildcard file route would otherwise take unknown paths under the prefix.
  app.all('/*', async (_req, reply) => goNotFound(reply));

  const gate = (secured: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const s = (await engine.getSettings(undefined)).masterApi;
    if (!s.enabled) return goNotFound(reply);
    void reply.headers(NP_CORS);
    if (req.method === 'OPTIONS') return reply.code(200).send();
    if (!secured) return undefined;
    const given = req.headers['x-api-key'];
    const presented = Array.isArray(given) ? given[0] : given;
    if (!presented) return npError(reply, 401, 'Unauthorized: API key required');
    if (!s.key || !tokenMatches(presented, s.key)) return npError(reply, 401, 'Unauthorized: Invalid API key');
    return undefined;
  };
  const route = (url: string, secured: boolean, handler: Handler, methods = METHODS) => app.route({
    method: methods, url, exposeHeadRoute: false, onRequest: gate(secured),
    handler: async (req, reply) => {
      try {
        return await handler(req, reply);
      } catch (err) {
        if (err instanceof NpError) return npError(reply, err.status, err.message);
        log.error(`master API: ${req.method} ${req.url}: ${(err as Error).message}`);
        return npError(reply, 500, `Internal error: ${(err as Error).message}`);
      }
    },
  });
  const body = (req: FastifyRequest) => (Buffer.isBuffer(req.body) ? req.body : undefined);
  const identity = async () => {
    const [s, info] = await Promise.all([engine.getSettings(undefined), engine.getInfo(undefined)]);
    const addr = app.server.address() as AddressInfo | null;
    return {
      mid: s.masterApi.mid ?? '', alias: s.masterApi.alias, ver: info.version, name: addr?.address ?? '',
      uptime: Math.floor((Date.now() - startedAt) / 1000), log: s.logLevel, tls: '0', crt: '', key: '',
    };
  };

  route('/instances', true, async (req, reply) => {
    if (req.method === 'GET') return sendJson(reply, 200, await listNpInstances(ctx));
    if (req.method === 'POST') return sendJson(reply, 201, await createNpInstance(ctx, body(req)));
    return npError(reply, 405, 'Method not allowed');
  });
  route('/instances/*', true, async (req, reply) => {
    const id = instanceId(req.url, `${base}/instances/`);
    if (id === '' || id === '/') return npError(reply, 400, 'Instance ID is required');
    const found = await getNpInstance(ctx, id);
    switch (req.method) {
      case 'GET': return sendJson(reply, 200, found);
      case 'PATCH': return sendJson(reply, 200, await patchNpInstance(ctx, id, body(req)));
      case 'PUT': return sendJson(reply, 200, await putNpInstance(ctx, id, body(req)));
      case 'DELETE':
        await deleteNpInstance(ctx, id);
        return reply.code(204).send();
      default: return npError(reply, 405, 'Method not allowed');
    }
  });
  route('/events', true, async (req, reply) => {
    if (req.method !== 'GET') return npError(reply, 405, 'Method not allowed');
    const initial = await listNpInstances(ctx);
    reply.hijack();
    hub.subscribe(reply.raw, { ...NP_CORS }, initial);
    return reply;
  });
  route('/info', true, async (req, reply) => {
    if (req.method === 'GET') return sendJson(reply, 200, await masterInfo(await identity()));
    if (req.method !== 'POST') return npError(reply, 405, 'Method not allowed');
    const alias = decodeAlias(body(req));
    if (alias === null) return npError(reply, 400, 'Invalid request body');
    if (goLen(alias) > MAX_ALIAS) return npError(reply, 400, `Master alias exceeds maximum length ${MAX_ALIAS}`);
    const s = await engine.getSettings(undefined);
    await engine.updateSettings({ masterApi: { ...s.masterApi, alias } });
    return sendJson(reply, 200, await masterInfo(await identity()));
  });
  route('/tcping', true, async (req, reply) => {
    if (req.method !== 'GET') return npError(reply, 405, 'Method not allowed');
    const q = (req.query as Record<string, string | string[] | undefined>).target;
    const target = Array.isArray(q) ? q[0] : q;
    if (!target) return npError(reply, 400, 'Target address required');
    return sendJson(reply, 200, await tcping(target));
  });
  // NodePass answers these two on any method.
  route('/openapi.json', false, async (_req, reply) => reply.header('Content-Type', 'application/json').send(Buffer.from(goJson(await spec()))));
  route('/docs', false, async (_req, reply) => reply.header('Content-Type', 'text/html').send(swaggerHtml(await spec())));
  route('/docs/:asset', false, async (req, reply) => {
    const a = await asset((req.params as { asset: string }).asset);
    if (!a) return goNotFound(reply);
    return reply.type(a.type).header('Cache-Control', 'public, max-age=86400').send(a.body);
  }, ['GET', 'HEAD', 'OPTIONS']);
};

function sendJson(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply.code(status).header('Content-Type', 'application/json').send(Buffer.from(goJson(value)));
}

/** NodePass's error body: `{"error": message}` + newline, CORS headers on. */
export function npError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).headers(NP_CORS).header('Content-Type', 'application/json').send(Buffer.from(goJson({ error: message })));
}

/** Go's http.NotFound (no CORS headers). */
function goNotFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').header('X-Content-Type-Options', 'nosniff').send('404 page not found\n');
}

/** The id after `/instances/`, percent-decoded as Go's r.URL.Path is. */
function instanceId(url: string, prefix: string): string {
  const path = url.split('?')[0]!;
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : '';
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

function decodeAlias(raw: Buffer | undefined): string | null {
  try {
    const parsed = UpdateMasterAliasRequest.partial().safeParse(goDecode(raw, ['alias']));
    return parsed.success ? parsed.data.alias ?? '' : null;
  } catch (err) {
    if (err instanceof GoDecodeError) return null;
    throw err;
  }
}
