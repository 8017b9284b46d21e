import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../log/logger';
import { serveCore, webSocketChannel, type CoreApiImpl, type CoreEvents, type EventSource } from '../rpc';
import { requireAuth, type AuthOptions } from './auth';

/** What the /rpc route serves: the engine's CoreApi and its events. */
export type EngineLike = CoreApiImpl & EventSource<CoreEvents>;

export interface RpcRouteOptions extends AuthOptions {
  engine: EngineLike;
  log: Logger;
}

/**
 * `GET /rpc`: the CoreApi over WebSocket (one JSON frame per RPC message), for the browser
 * dashboard and remote RelayDesks. Authenticated before the upgrade (see requireAuth); needs
 * @fastify/websocket registered on the parent.
 */
export const rpcRoute: FastifyPluginAsync<RpcRouteOptions> = async (app, opts) => {
  const { engine, log } = opts;
  app.get('/rpc', { websocket: true, preValidation: requireAuth(opts) }, (socket, req) => {
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    log.debug(`rpc client ${peer} connected`);
    const rpc = serveCore(webSocketChannel(socket), engine, engine);
    rpc.onClose((reason) => log.debug(`rpc client ${peer} disconnected: ${reason}`));
  });
};
