import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { listenError } from '../common/listen-error';
import type { Logger } from '../log/logger';
import { CoreError, formatHostPort, parseHostPort } from '../rpc';
import { sendError } from './http-error';
import { rpcRoute, type EngineLike } from './rpc-route';
import { isPagePath, sendIndex, staticRoute } from './static-route';
import { nodePassApiPlugin } from './nodepass';
import { usersApiPlugin, type UsersApiOptions } from './users';

/** Largest WebSocket message and HTTP body accepted. */
export const MAX_PAYLOAD = 1 << 20;

export interface ApiServerOptions {
  /** The engine (or anything serving CoreApi and CoreEvents). */
  engine: EngineLike;
  /** "host:port"; port 0 picks a free port (start() returns the bound address). */
  listen: string;
  /** Required by /rpc and the other authenticated APIs. */
  token: string;
  /** The built dashboard; without it only the APIs are served. */
  staticDir?: string;
  /** Browser origins allowed besides the same origin. @default [] */
  allowOrigins?: string[];
  log: Logger;
  /** WebSocket clients still open after this long in close() are cut. @default 1000 */
  closeGraceMs?: number;
  /** The users API under /v1 (telemt contract, see api/users/plugin.ts). @default {} (enabled, loopback only, Bearer token) */
  usersApi?: UsersApiOptions;
}

/** The HTTP face: /rpc, /healthz and the dashboard; later the NodePass, users and monitor APIs. */
export interface ApiServer {
  /** Binds and serves; resolves with the bound "host:port". E_LISTEN_* on failure. */
  start(): Promise<string>;
  /** Closes WebSocket clients (1001), stops listening. Idempotent. */
  close(): Promise<void>;
  /** The fastify instance (for tests and inject()). */
  readonly app: FastifyInstance;
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const hp = parseHostPort(opts.listen);
  if (!hp) throw new CoreError('E_CONFIG_INVALID', `listen: expected host:port, got "${opts.listen}"`);
  const log = opts.log;
  const app = Fastify({ logger: false, bodyLimit: MAX_PAYLOAD });
  const auth = { token: opts.token, allowOrigins: opts.allowOrigins ?? [] };

  void app.register(fastifyWebsocket, { options: { maxPayload: MAX_PAYLOAD } });
  void app.register(rpcRoute, { ...auth, engine: opts.engine, log });
  app.get('/healthz', async () => ({ ok: true }));
  void app.register(usersApiPlugin, { ...opts.usersApi, engine: opts.engine, token: opts.token, log });
  void app.register(nodePassApiPlugin, { engine: opts.engine, log });
  const { staticDir } = opts;
  if (staticDir) void app.register(staticRoute, { root: staticDir });
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0];
    const page = (req.method === 'GET' || req.method === 'HEAD') && isPagePath(path);
    if (page && staticDir) return sendIndex(reply, staticDir);
    const why = page && path === '/' ? 'the dashboard is not built (run `npm run build`)' : `${req.method} ${path} not found`;
    return sendError(reply, 404, 'E_NOT_FOUND', why);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error(`api: ${err.message}`);
    return sendError(reply, status, status === 500 ? 'E_INTERNAL' : 'E_CONFIG_INVALID', err.message);
  });

  let closing: Promise<void> | null = null;
  return {
    app,
    async start() {
      try {
        await app.listen({ host: hp.host, port: hp.port });
      } catch (err) {
        await app.close().catch(() => undefined);
        throw listenError(err, opts.listen);
      }
      const addr = app.server.address() as AddressInfo;
      const bound = formatHostPort(addr.address, addr.port);
      log.info(`api listening on ${bound}`);
      return bound;
    },
    close() {
      closing ??= (async () => {
        const clients = [...app.websocketServer.clients];
        for (const ws of clients) ws.close(1001, 'server shutting down');
        // Peers that do not answer the close handshake are cut so shutdown stays bounded.
        const grace = setTimeout(() => { for (const ws of clients) ws.terminate(); }, opts.closeGraceMs ?? 1000);
        await Promise.all(clients.map((ws) => (ws.readyState === ws.CLOSED ? undefined : new Promise((r) => ws.once('close', r)))));
        clearTimeout(grace);
        await app.close();
      })();
      return closing;
    },
  };
}
