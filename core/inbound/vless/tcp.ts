import type { Socket } from 'node:net';
import type { ConnMeta, RouteDecision } from '../../adapter';
import { encodeResponse, type VlessRequest } from '../../codec/vless';
import { formatHostPort } from '../../common/net';
import { toCoreError } from '../../rpc';
import type { VlessEnv } from './env';
import type { LiveConn } from './limits';

/**
 * The TCP command: routes and dials the destination, answers [version, 0] and hands both sides
 * to ctx.relay with the bytes that came after the header. A failed route or dial closes the
 * client with no response (as v2ray does). On plain TCP without a speed limit the client stream
 * is the accepted net.Socket itself, so the relay may splice it natively. `routed`: the native
 * front routed it already (its meta and decision are reused).
 */
export async function serveTcp(
  env: VlessEnv, live: LiveConn, source: ConnMeta['source'], req: VlessRequest, head: Buffer, routed?: { meta: ConnMeta; decision: RouteDecision },
): Promise<void> {
  const { ctx } = env;
  const client = live.stream;
  const meta: ConnMeta = routed?.meta ?? {
    id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'vless', network: 'tcp',
    source, destination: { host: req.address.host, port: req.port }, user: live.user.name,
  };
  const abort = new AbortController();
  const clientOnGone = () => abort.abort();
  client.once('close', clientOnGone);
  let decision: RouteDecision;
  let remote: Socket;
  try {
    decision = routed?.decision ?? await ctx.router.route(meta);
    remote = await decision.outbound.dialTcp(meta, abort.signal);
  } catch (err) {
    logDialFailure(env, meta, err, abort.signal.aborted);
    client.destroy();
    return;
  } finally {
    client.off('close', clientOnGone);
  }
  if (client.destroyed || env.closing) {
    remote.destroy();
    client.destroy();
    return;
  }
  client.write(encodeResponse(req.version));
  // The contract types the client as a Socket; a TLSSocket is one, the WebSocket and throttled
  // streams are Duplexes with the Socket members the relay uses (events, pause/resume, setNoDelay).
  ctx.relay.tcp(meta, decision, client as Socket, remote, { idleTimeoutMs: env.spec.idleTimeoutMs }, head.length > 0 ? head : undefined);
}

function logDialFailure(env: VlessEnv, meta: ConnMeta, err: unknown, aborted: boolean): void {
  const log = env.ctx.log;
  const e = toCoreError(err);
  const line = `vless ${meta.id} user "${meta.user}" → ${formatHostPort(meta.destination.host, meta.destination.port)}: ${e.message} (${e.code})`;
  if (aborted || e.code === 'E_ROUTE_BLOCKED') {
    if (log.enabled('debug')) log.debug(aborted ? `${line}, client gone` : line);
  } else {
    log.info(line);
  }
}
