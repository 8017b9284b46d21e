import type { ConnMeta, RouteDecision } from '../../adapter';
import {
  AUTH_FAILURE, AUTH_SUCCESS, CMD_BIND, CMD_CONNECT, CMD_UDP_ASSOCIATE, METHOD_NO_ACCEPTABLE, METHOD_NO_AUTH, METHOD_USER_PASS,
  REP_COMMAND_NOT_SUPPORTED, REP_SUCCEEDED, encodeAuthStatus, encodeMethod, encodeReply, parseAuth, parseGreeting, parseRequest,
  type Request,
} from '../../codec/socks5';
import { formatHostPort } from '../../common/net';
import { closeWithReply, runGuarded, type Handshake } from './handshake';
import { logDialFailure, routeAndDialFor, socksReplyFor } from './dial';
import { startUdpAssociation } from './socks5-udp';

type Phase = 'greeting' | 'auth' | 'request' | 'done';

/** Method selection replies, built once: socket.write never changes the buffer it is given. */
const METHOD_REPLY: Record<number, Buffer> = {
  [METHOD_NO_AUTH]: encodeMethod(METHOD_NO_AUTH),
  [METHOD_USER_PASS]: encodeMethod(METHOD_USER_PASS),
};
const AUTH_OK = encodeAuthStatus(AUTH_SUCCESS);
const EMPTY = Buffer.alloc(0);

/**
 * Serves one SOCKS5 client from its first bytes: method selection, RFC 1929 authentication when
 * the inbound has users, then CONNECT (relayed) or UDP ASSOCIATE. Messages the client pipelines
 * are taken in order; bytes after the request are handed to the relay as its head.
 * `at` 'request': the native front already answered a no-auth greeting; `first` starts the request.
 */
export function serveSocks5(hs: Handshake, first: Buffer, at: 'greeting' | 'request' = 'greeting'): void {
  const { socket, env } = hs;
  let buf = first;
  let phase: Phase = at;
  let user: string | null = null;
  hs.phase = at === 'greeting' ? 'socks5-greeting' : 'socks5-request';

  const onData = (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    step();
  };

  const step = () => {
    while (!hs.done) {
      if (phase === 'greeting') {
        const r = parseGreeting(buf);
        if (r.kind === 'incomplete') return;
        if (r.kind === 'invalid') return hs.reject('socks5-greeting', r.reason, encodeMethod(METHOD_NO_ACCEPTABLE));
        const method = chooseMethod(r.methods, env.users.required);
        if (method === METHOD_NO_ACCEPTABLE) {
          return hs.reject('auth', `client offers methods [${r.methods.join(', ')}], none acceptable`, encodeMethod(METHOD_NO_ACCEPTABLE));
        }
        socket.write(METHOD_REPLY[method]!);
        buf = rest(buf, r.end);
        phase = method === METHOD_USER_PASS ? 'auth' : 'request';
        hs.phase = method === METHOD_USER_PASS ? 'socks5-auth' : 'socks5-request';
      } else if (phase === 'auth') {
        const r = parseAuth(buf);
        if (r.kind === 'incomplete') return;
        if (r.kind === 'invalid') return hs.reject('socks5-auth', r.reason, encodeAuthStatus(AUTH_FAILURE));
        if (env.users.required) {
          user = env.users.check(r.username, r.password);
          if (user === null) return hs.reject('auth', `bad credentials for user "${printable(r.username)}"`, encodeAuthStatus(AUTH_FAILURE));
        }
        socket.write(AUTH_OK);
        buf = rest(buf, r.end);
        phase = 'request';
        hs.phase = 'socks5-request';
      } else if (phase === 'request') {
        const r = parseRequest(buf);
        if (r.kind === 'incomplete') return;
        if (r.kind === 'invalid') return hs.reject('socks5-request', r.reason, encodeReply(r.rep));
        if (r.cmd !== CMD_CONNECT && !(r.cmd === CMD_UDP_ASSOCIATE && env.spec.udp)) {
          return hs.reject('socks5-request', `command ${commandName(r.cmd)} not supported`, encodeReply(REP_COMMAND_NOT_SUPPORTED));
        }
        phase = 'done';
        hs.complete();
        socket.pause();
        socket.off('data', onData);
        const head = rest(buf, r.end);
        if (r.cmd === CMD_CONNECT) runGuarded(env, socket, connectSocks5(hs, r.dst, user, head));
        else startUdpAssociation(hs, r.dst, user);
        return;
      } else {
        return;
      }
    }
  };

  socket.on('data', onData);
  step();
}

/**
 * Dials a CONNECT's destination and relays, or answers with the reply code of the failure.
 * `routed`: the native front routed it already (its meta and decision are reused).
 */
export async function connectSocks5(
  hs: Handshake, dst: Request['dst'], user: string | null, head: Buffer, routed?: { meta: ConnMeta; decision: RouteDecision },
): Promise<void> {
  const { socket, env } = hs;
  const { ctx } = env;
  const meta: ConnMeta = routed?.meta ?? {
    id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'socks5', network: 'tcp',
    source: hs.peer, destination: dst, user,
  };
  let dialed;
  try {
    dialed = await routeAndDialFor(ctx, meta, socket, routed?.decision);
  } catch (err) {
    if (socket.destroyed) return;
    logDialFailure(ctx, meta, err);
    closeWithReply(socket, encodeReply(socksReplyFor(err)));
    return;
  }
  const { decision, remote } = dialed;
  if (socket.destroyed) {
    remote.destroy();
    return;
  }
  if (ctx.log.enabled('debug')) ctx.log.debug(`socks5 ${meta.id} ${formatHostPort(dst.host, dst.port)} via ${decision.outbound.tag} (${decision.rule})`);
  socket.write(encodeReply(REP_SUCCEEDED, { host: remote.localAddress ?? '0.0.0.0', port: remote.localPort ?? 0 }));
  ctx.relay.tcp(meta, decision, socket, remote, { idleTimeoutMs: env.spec.idleTimeoutMs }, head.length > 0 ? head : undefined);
}

/** What follows a parsed message; clients that wait for each reply leave nothing, so no view is made. */
function rest(buf: Buffer, end: number): Buffer {
  return end === buf.length ? EMPTY : buf.subarray(end);
}

/**
 * User/password when the inbound has users (and only if offered). Without users: no-auth, or
 * user/password with any credentials accepted for clients that offer nothing else.
 */
function chooseMethod(methods: number[], authRequired: boolean): number {
  if (authRequired) return methods.includes(METHOD_USER_PASS) ? METHOD_USER_PASS : METHOD_NO_ACCEPTABLE;
  if (methods.includes(METHOD_NO_AUTH)) return METHOD_NO_AUTH;
  return methods.includes(METHOD_USER_PASS) ? METHOD_USER_PASS : METHOD_NO_ACCEPTABLE;
}

function commandName(cmd: number): string {
  const hex = `0x${cmd.toString(16).padStart(2, '0')}`;
  return cmd === CMD_BIND ? `${hex} (BIND)` : cmd === CMD_UDP_ASSOCIATE ? `${hex} (UDP ASSOCIATE, disabled)` : hex;
}

function printable(b: Buffer): string {
  return b.toString('latin1').replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}
