import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnMeta } from '../../adapter';
import { unmapIPv4 } from '../../codec/address';
import {
  encodeSimpleResponse, filterRawHeaders, hopByHopNames, hostHeaderFor, parseAbsoluteTarget, parseAuthorityTarget,
} from '../../codec/http1';
import { formatHostPort } from '../../common/net';
import { logDialFailure, routeAndDialFor, httpErrorFor } from './dial';
import { closeWithReply, type BadHandshakeKind, type Handshake, type MixedEnv } from './handshake';
import { checkProxyAuthorization } from './users';

const ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n', 'latin1');

/** The challenge and texts shared by every 407 this inbound sends. */
export const PROXY_AUTHENTICATE: [string, string] = ['Proxy-Authenticate', 'Basic realm="RelayDesk"'];
export const AUTH_TEXT = {
  missing: 'RelayDesk: proxy authentication required; send Proxy-Authorization: Basic credentials.\n',
  wrong: 'RelayDesk: wrong proxy username or password.\n',
} as const;

/** Where a tunnel request comes from: the first head (with its Handshake) or node:http later on. */
export interface TunnelSource {
  env: MixedEnv;
  socket: Socket;
  /** Null once node:http serves the connection (a CONNECT after keep-alive requests). */
  hs: Handshake | null;
}

/**
 * Serves `CONNECT host:port`: authenticates, routes and dials, answers 200 and hands both sockets
 * to the relay with `head` (bytes the client sent after the request head). Failures are answered
 * with a plain-text 400/403/407/502/504 and a close.
 */
export async function serveConnect(src: TunnelSource, target: string, proxyAuthorization: string | undefined, head: Buffer): Promise<void> {
  const { env, socket } = src;
  const auth = checkProxyAuthorization(env.users, proxyAuthorization);
  if ('denied' in auth) {
    const reply = encodeSimpleResponse(407, 'Proxy Authentication Required', AUTH_TEXT[auth.denied], [PROXY_AUTHENTICATE]);
    return refuse(src, auth.denied === 'wrong' ? 'auth' : null, `CONNECT ${target}: credentials ${auth.denied}`, reply);
  }
  const dst = parseAuthorityTarget(target);
  if (dst === null) {
    const reply = encodeSimpleResponse(400, 'Bad Request', `RelayDesk: CONNECT needs a host:port target, got "${target.slice(0, 100)}".\n`);
    return refuse(src, 'http-request', `bad CONNECT target "${target.slice(0, 100)}"`, reply);
  }
  src.hs?.complete();
  await tunnel(src, dst, auth.user, 'CONNECT', () => {
    socket.write(ESTABLISHED);
    return head;
  });
}

/**
 * Serves an absolute-form request with `Upgrade` (WebSocket over a plain HTTP proxy): the
 * rewritten request head goes to the origin first, then both sides are relayed as a tunnel, so
 * the 101 and everything after it come from the origin untouched.
 */
export async function serveUpgrade(src: TunnelSource, req: IncomingMessage, head: Buffer): Promise<void> {
  const { env } = src;
  const auth = checkProxyAuthorization(env.users, req.headers['proxy-authorization']);
  if ('denied' in auth) {
    const reply = encodeSimpleResponse(407, 'Proxy Authentication Required', AUTH_TEXT[auth.denied], [PROXY_AUTHENTICATE]);
    return refuse(src, auth.denied === 'wrong' ? 'auth' : null, `upgrade ${req.url}: credentials ${auth.denied}`, reply);
  }
  const t = parseAbsoluteTarget(req.url ?? '');
  if (t === null || t.scheme !== 'http') {
    const reply = encodeSimpleResponse(400, 'Bad Request', 'RelayDesk: an Upgrade through this proxy needs an absolute http:// URL.\n');
    return refuse(src, 'http-request', `bad upgrade target "${(req.url ?? '').slice(0, 100)}"`, reply);
  }
  const drop = hopByHopNames(req.headers.connection, ['upgrade']);
  drop.add('host');
  const headers = filterRawHeaders(req.rawHeaders, drop);
  let text = `${req.method} ${t.path} HTTP/1.1\r\nHost: ${hostHeaderFor(t)}\r\nConnection: Upgrade\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  const requestHead = Buffer.from(`${text}\r\n`, 'latin1');
  await tunnel(src, { host: t.host, port: t.port }, auth.user, `${req.method} ${req.url}`, () => Buffer.concat([requestHead, head]));
}

/** Routes and dials `dst`; on success `ready` writes what the client must see and returns the head for the origin. */
async function tunnel(src: TunnelSource, dst: { host: string; port: number }, user: string | null, what: string, ready: () => Buffer): Promise<void> {
  const { env, socket } = src;
  const { ctx } = env;
  const meta: ConnMeta = {
    id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'http', network: 'tcp',
    source: { address: unmapIPv4(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 }, destination: dst, user,
  };
  socket.pause();
  let dialed;
  try {
    dialed = await routeAndDialFor(ctx, meta, socket);
  } catch (err) {
    if (socket.destroyed) return;
    logDialFailure(ctx, meta, err);
    const e = httpErrorFor(err, formatHostPort(dst.host, dst.port));
    closeWithReply(socket, encodeSimpleResponse(e.status, e.reason, e.body));
    return;
  }
  const { decision, remote } = dialed;
  if (socket.destroyed) {
    remote.destroy();
    return;
  }
  if (ctx.log.enabled('debug')) ctx.log.debug(`http ${meta.id} ${what} via ${decision.outbound.tag} (${decision.rule})`);
  const head = ready();
  ctx.relay.tcp(meta, decision, socket, remote, { idleTimeoutMs: env.spec.idleTimeoutMs }, head.length > 0 ? head : undefined);
}

/** Rejects a tunnel request: through the Handshake when there is one, else reporting directly. */
function refuse(src: TunnelSource, kind: BadHandshakeKind | null, reason: string, reply: Buffer): void {
  if (src.hs) {
    src.hs.reject(kind, reason, reply);
    return;
  }
  const { ctx } = src.env;
  if (kind !== null) ctx.stats.badHandshake(ctx.instanceId, kind);
  if (ctx.log.enabled('debug')) ctx.log.debug(`http request from ${src.socket.remoteAddress} refused: ${reason}`);
  closeWithReply(src.socket, reply);
}
