import { EventEmitter } from 'node:events';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnMeta, RouteDecision } from '../../adapter';
import { unmapIPv4 } from '../../codec/address';
import { addressFromHost, type VlessRequest } from '../../codec/vless';
import { formatHostPort } from '../../common/net';
import { dialError, isDirectOutbound } from '../../outbound/direct';
import { createLookupCache, type LookupFn } from '../../route/lookup-cache';
import { FrontListener, socketFromFd, type FrontRequest } from '../../route/front-listener';
import { CONN_CONNECTED, PROTO_VLESS, type FrontAddon } from '../../route/splice';
import { CoreError, toCoreError, type RelayUser } from '../../rpc';
import type { VlessBadHandshake, VlessEnv } from './env';
import { serveTcp } from './tcp';
import { accountRefusal } from './users';

/**
 * A request's stream as UserLimits sees it while the native side holds the client: destroy() (a
 * disabled user, a used-up quota, the relay closing) ends the connection; 'close' is emitted once
 * when it ended, or when the client went to the JS path (which admits its socket instead).
 */
class NativeConnStream extends EventEmitter {
  destroyed = false;
  private ended = false;

  constructor(private readonly end: () => void) {
    super();
  }

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.end();
    }
    return this;
  }

  /** The connection is gone from the native side (ended, or released to JS). */
  gone(): void {
    if (this.ended) return;
    this.ended = true;
    this.destroyed = true;
    this.emit('close');
  }
}

/**
 * The VLESS relay's fast path on TCP and WebSocket, TLS or not: the native thread accepts (does
 * the TLS handshake, where the addon found a TLS library, and the WebSocket upgrade) and reads
 * the request header;
 * this side authenticates the UUID, applies the account state and limits exactly as the JS path
 * does, routes, and for the direct outbound has the native thread connect, answer [0, 0] and
 * splice (the payload that came with the header goes first). Other clients come back as sockets for
 * the JS inbound (`serve`, with the bytes read): non-VLESS first bytes (the fallback), addons
 * (flow), UDP and Mux, bad addresses, headers cut short; and so do users with a speed limit and
 * requests routed to another outbound, which then go through serveTcp.
 */
export class VlessNativeFront extends FrontListener {
  private readonly lookup: LookupFn = createLookupCache();

  constructor(
    addon: FrontAddon, private readonly env: VlessEnv,
    private readonly serve: (socket: Socket, first: Buffer, peer: { address: string; port: number }, stage: number) => void,
  ) {
    super(addon, PROTO_VLESS, env.spec.handshakeTimeoutMs);
  }

  protected onHandoff(socket: Socket, first: Buffer, stage: number, peer: { address: string; port: number }): void {
    this.serve(socket, first, peer, stage);
  }

  protected onBad(kind: string | null, reason: string, address: string, port: number): void {
    const { ctx, spec } = this.env;
    if (kind !== null) ctx.stats.badHandshake(ctx.instanceId, kind);
    if (ctx.log.enabled('debug')) {
      // reason: the client left during the handshake, or (TLS) what OpenSSL said.
      const why = kind === 'timeout' ? `no complete request within ${spec.handshakeTimeoutMs} ms` : reason;
      ctx.log.debug(`handshake from ${peer(unmapIPv4(address), port)} rejected (${kind ?? 'not counted'}): ${why}`);
    }
  }

  protected onRequest(fr: FrontRequest): void {
    const { conn, host, port, peerAddress: address, peerPort } = fr;
    const uuid = fr.uuid!;
    const head = fr.payload!;
    const { env } = this;
    const { ctx } = env;
    const source = { address: unmapIPv4(address), port: peerPort };
    const user = env.users.byUuid(uuid);
    const refuse = (kind: VlessBadHandshake | null, line: string, level: 'debug' | 'info') => {
      if (kind !== null) ctx.stats.badHandshake(ctx.instanceId, kind);
      if (level === 'info') ctx.log.info(line);
      else if (ctx.log.enabled('debug')) ctx.log.debug(line);
      this.addon.close(conn);
    };
    if (user === undefined) return refuse('vless-uuid', `handshake from ${peer(source.address, source.port)} rejected (vless-uuid): unknown user ${uuid.toString('hex')}`, 'debug');
    const refused = accountRefusal(user, Date.now());
    if (refused !== null) return refuse('vless-uuid', `user "${user.name}" refused: ${refused} (from ${peer(source.address, source.port)})`, 'debug');
    const req: VlessRequest = {
      kind: 'ok', version: 0, uuid, uuidHex: uuid.toString('hex'), flow: null, command: 'tcp', port,
      address: addressFromHost(host), headerLength: 0,
    };
    const r: Request = { conn, user, req, head, source, stream: null };
    this.conns.add(conn);
    // A speed limit wraps the client's stream (ThrottledStream): JS relays those, limits checked there.
    if (user.upLimitBps !== null || user.downLimitBps !== null) return this.release(r, null);
    const limit = env.limits.refusal(user, source.address, env.traffic.used(user.name));
    if (limit !== null) {
      this.conns.delete(conn);
      return refuse(null, `user "${user.name}" refused: ${limit}`, 'info');
    }
    // Admitted now, as the JS path does, so concurrent requests count against the limits.
    const stream = new NativeConnStream(() => this.addon.close(conn));
    r.stream = stream;
    env.limits.admit(user, source.address, stream as unknown as Duplex, head.length);
    const meta: ConnMeta = {
      id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'vless', network: 'tcp',
      source, destination: { host, port }, user: user.name,
    };
    ctx.router.route(meta).then(
      (decision) => this.dispatch(r, meta, decision),
      (err: unknown) => this.dialFailed(r, meta, err),
    ).catch((err: unknown) => {
      ctx.log.error(`unexpected failure serving vless ${meta.id}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      this.dialFailed(r, meta, err);
    });
  }

  private async dispatch(r: Request, meta: ConnMeta, decision: RouteDecision): Promise<void> {
    const { outbound } = decision;
    if (!isDirectOutbound(outbound)) return this.release(r, { meta, decision });
    const { host, port } = meta.destination;
    const ip = net.isIP(host) !== 0 ? host : (await this.lookup(host))[0];
    if (ip === undefined) return this.dialFailed(r, meta, new CoreError('E_DIAL_DNS', `connect ${formatHostPort(host, port)} name not resolved`));
    const { conn, stream } = r;
    // Gone while routing (closed by the user's limits or the inbound): nothing more to do.
    if (!this.conns.has(conn) || stream!.destroyed) return this.dialFailed(r, meta, null);
    let finish: ((final: [number, number]) => void) | null = null;
    const { env } = this;
    this.addon.frontConnect(conn, ip, port, outbound.connectTimeoutMs, env.spec.idleTimeoutMs, (type, err) => {
      if (type === CONN_CONNECTED) {
        finish = env.ctx.relay.adopt(meta, decision, { sample: () => this.addon.sample(conn), close: () => stream!.destroy() });
        return;
      }
      this.conns.delete(conn);
      if (finish === null) {
        if (err) this.logFailure(meta, dialError(err, host, port));
      } else {
        finish(this.addon.sample(conn));
      }
      stream!.gone();
    }); // the payload that came with the header is still in the native buffer: it goes first

  }

  /**
   * The client's socket goes to serveTcp: with `routed` (another outbound) as decided; without (a
   * speed limit) limits are checked and the request routed there, exactly as on the JS path.
   */
  private release(r: Request, routed: { meta: ConnMeta; decision: RouteDecision } | null): void {
    const { env } = this;
    if (!this.conns.has(r.conn) || r.stream?.destroyed) return this.dialFailed(r, routed?.meta ?? null, null);
    this.addon.frontRelease(r.conn, (fd) => {
      this.conns.delete(r.conn);
      r.stream?.gone();
      const socket = socketFromFd(fd);
      if (this.closing || env.closing) return void socket.destroy();
      socket.on('error', () => undefined); // the relay reports what matters
      if (routed === null) {
        const limit = env.limits.refusal(r.user, r.source.address, env.traffic.used(r.user.name));
        if (limit !== null) {
          env.ctx.log.info(`user "${r.user.name}" refused: ${limit}`);
          return void socket.destroy();
        }
      }
      const live = env.limits.admit(r.user, r.source.address, socket, r.head.length);
      serveTcp(env, live, r.source, r.req, r.head, routed ?? undefined).catch((err: unknown) => {
        env.ctx.log.error(`unexpected failure serving vless ${r.req.uuidHex}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        live.stream.destroy();
      });
    });
  }

  /** Closes the client with no response, as v2ray does; `err` null: it is gone already, say nothing. */
  private dialFailed(r: Request, meta: ConnMeta | null, err: unknown): void {
    if (!this.conns.delete(r.conn)) return;
    if (err !== null && meta !== null) this.logFailure(meta, err);
    this.addon.close(r.conn);
    r.stream?.gone();
  }

  private logFailure(meta: ConnMeta, err: unknown): void {
    const log = this.env.ctx.log;
    const e = toCoreError(err);
    const line = `vless ${meta.id} user "${meta.user}" → ${formatHostPort(meta.destination.host, meta.destination.port)}: ${e.message} (${e.code})`;
    if (e.code === 'E_ROUTE_BLOCKED') {
      if (log.enabled('debug')) log.debug(line);
    } else {
      log.info(line);
    }
  }
}

function peer(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A request the front holds until it is connected, released or refused. */
interface Request {
  conn: object;
  user: RelayUser;
  req: VlessRequest;
  head: Buffer;
  source: ConnMeta['source'];
  /** Its admission in UserLimits (null when released before admission: speed-limited users). */
  stream: NativeConnStream | null;
}
