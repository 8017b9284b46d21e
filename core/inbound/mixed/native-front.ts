import net, { type Socket } from 'node:net';
import type { ConnMeta, RouteDecision } from '../../adapter';
import { unmapIPv4 } from '../../codec/address';
import { formatHostPort } from '../../common/net';
import { dialError, isDirectOutbound } from '../../outbound/direct';
import { isVlessNativeOutbound } from '../../outbound/vless';
import { createLookupCache, type LookupFn } from '../../route/lookup-cache';
import { FrontListener, socketFromFd, type FrontRequest } from '../../route/front-listener';
import { CONN_CONNECTED, PROTO_SOCKS5, frontTls, type FrontAddon, type NativeError } from '../../route/splice';
import { CoreError } from '../../rpc';
import { nativeClientContext, nativeTlsError } from '../../transport/native-tls';
import { wsUpgradeError } from '../../transport/ws';
import { blockedByRule, logDialFailure, socksReplyFor } from './dial';
import { runGuarded, type Handshake, type MixedEnv } from './handshake';
import { connectSocks5 } from './socks5-session';

const EMPTY = Buffer.alloc(0);

/** Where the JS inbound picks up a client the native front handed over. */
export type HandoffStage = 'first' | 'request';

/** What the front needs of the JS inbound. */
export interface FrontInbound {
  /** Serves a handed-over client from its first bytes (or from its request, after a no-auth greeting). */
  serve(socket: Socket, first: Buffer, stage: HandoffStage): void;
  /** Takes a client in as the JS inbound does on accept (null: closing or gone). */
  handshake(socket: Socket): Handshake | null;
}

/**
 * The mixed inbound's SOCKS5 fast path: the native thread accepts, answers the no-auth greeting,
 * reads a CONNECT and, for destinations routed to the direct outbound or to a VLESS server over
 * TCP or WebSocket, TLS or not, connects (and does the TLS handshake and the upgrade) and relays; this side routes each request, tracks the relay (connections
 * list, stats) and logs. Everything else comes back as a socket for the JS inbound (`serve`): HTTP
 * and unknown first bytes, greetings without "no auth", other commands, malformed requests,
 * pipelined data, and requests routed to any other outbound (SOCKS; VLESS over TLS where the addon
 * found no TLS library, as in Electron without BoringSSL installed),
 * which then dial exactly as on the JS path.
 */
export class NativeFront extends FrontListener {
  private readonly lookup: LookupFn;

  constructor(addon: FrontAddon, private readonly env: MixedEnv, private readonly inbound: FrontInbound) {
    super(addon, PROTO_SOCKS5, env.spec.handshakeTimeoutMs);
    const log = env.ctx.log;
    this.lookup = createLookupCache({
      onFailure: (host, reason) => {
        if (log.enabled('debug')) log.debug(`lookup ${host} failed: ${reason}`);
      },
    });
  }

  protected onHandoff(socket: Socket, first: Buffer, stage: number): void {
    this.inbound.serve(socket, first, stage === 1 ? 'request' : 'first');
  }

  protected onBad(kind: string | null, reason: string, address: string, port: number): void {
    const { ctx, spec } = this.env;
    if (kind !== null) ctx.stats.badHandshake(ctx.instanceId, kind);
    if (ctx.log.enabled('debug')) {
      const why = kind === 'timeout' ? `no complete handshake within ${spec.handshakeTimeoutMs} ms` : reason;
      ctx.log.debug(`handshake from ${unmapIPv4(address)}:${port} rejected (${kind ?? 'not counted'}): ${why}`);
    }
  }

  protected onRequest({ conn, host, port, peerAddress: address, peerPort }: FrontRequest): void {
    const { ctx } = this.env;
    const meta: ConnMeta = {
      id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'socks5', network: 'tcp',
      source: { address: unmapIPv4(address), port: peerPort }, destination: { host, port }, user: null,
    };
    this.conns.add(conn);
    ctx.router.route(meta).then(
      (decision) => this.dispatch(conn, meta, decision),
      (err: unknown) => this.refuse(conn, meta, err),
    ).catch((err: unknown) => {
      ctx.log.error(`unexpected failure serving socks5 ${meta.id}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      this.addon.close(conn);
    });
  }

  private async dispatch(conn: object, meta: ConnMeta, decision: RouteDecision): Promise<void> {
    if (!this.conns.has(conn)) return;
    const { outbound } = decision;
    if (outbound.type === 'block') {
      const dest = formatHostPort(meta.destination.host, meta.destination.port);
      return this.refuse(conn, meta, blockedByRule(new CoreError('E_ROUTE_BLOCKED', `${dest} blocked`), meta, decision));
    }
    // Direct, or a VLESS server over TCP or TLS (its request header first, its response header dropped).
    const plan = isDirectOutbound(outbound)
      ? { host: meta.destination.host, port: meta.destination.port, connectTimeoutMs: outbound.connectTimeoutMs, header: undefined, tls: null, ws: null }
      : isVlessNativeOutbound(outbound) ? outbound.nativeTcp(meta) : null;
    if (plan === null || (plan.tls !== null && !frontTls(this.addon))) return this.release(conn, meta, decision);
    const ip = net.isIP(plan.host) !== 0 ? plan.host : (await this.lookup(plan.host))[0];
    if (!this.conns.has(conn)) return;
    if (ip === undefined) {
      const what = plan.header ? `vless ${outbound.tag}: the VLESS server ${plan.host}` : formatHostPort(plan.host, plan.port);
      return this.refuse(conn, meta, new CoreError('E_DIAL_DNS', `connect ${what} name not resolved`));
    }
    let tls: object | undefined;
    try {
      tls = plan.tls === null ? undefined : nativeClientContext(this.addon, plan.host, plan.port, plan.tls);
    } catch (err) {
      return this.refuse(conn, meta, new CoreError('E_DIAL_FAILED', `vless ${outbound.tag}: TLS settings: ${(err as Error).message}`, { cause: err }));
    }
    let finish: ((final: [number, number]) => void) | null = null;
    const onConn = (type: number, err?: NativeError) => {
      const { ctx } = this.env;
      const dest = formatHostPort(meta.destination.host, meta.destination.port);
      if (type === CONN_CONNECTED) {
        if (ctx.log.enabled('debug')) ctx.log.debug(`socks5 ${meta.id} ${dest} via ${outbound.tag} (${decision.rule})`);
        finish = ctx.relay.adopt(meta, decision, { sample: () => this.addon.sample(conn), close: () => this.addon.close(conn) });
        return;
      }
      this.conns.delete(conn);
      if (finish === null) {
        if (!err) return;
        const underWs = err.reason?.startsWith('TLS: ') === true; // the TLS under a WebSocket
        const e = err.syscall !== 'handshake' ? dialError(err, plan.host, plan.port)
          : plan.ws && !underWs ? wsUpgradeError(err, plan.ws.url)
            : nativeTlsError(err, plan.host, plan.port, plan.tls!, underWs ? err.reason!.slice(5) : err.reason);
        logDialFailure(ctx, meta, plan.header ? new CoreError(e.code, `vless ${outbound.tag} → ${dest}: ${e.message}`, { cause: err }) : e);
        return;
      }
      const final = this.addon.sample(conn);
      finish(final);
      if (plan.header && final[1] === 0 && (err?.code === 'ECONNRESET' || err?.code === 'EPROTO')) {
        // As the JS dial reports it: the server refused the request, or is no VLESS server.
        ctx.log.info(`vless ${outbound.tag} → ${dest}: VLESS server ${err.code === 'EPROTO' ? 'sent no VLESS response' : 'closed the connection before replying'} — wrong UUID, or the server could not reach the destination?`);
      }
      if (ctx.log.enabled('debug')) ctx.log.debug(`tcp ${meta.id} closed (${err ? `native relay: ${err.message}` : 'done'}), up ${final[0]} down ${final[1]}`);
    };
    this.addon.frontConnect(
      conn, ip, plan.port, plan.connectTimeoutMs, this.env.spec.idleTimeoutMs, onConn, plan.header, plan.header !== undefined, tls,
      plan.ws?.path, plan.ws?.hostHeader,
    );
  }

  /** Answers with the failure's SOCKS5 reply code (not allowed for a block) and logs it. */
  private refuse(conn: object, meta: ConnMeta, err: unknown): void {
    if (!this.conns.delete(conn)) return;
    logDialFailure(this.env.ctx, meta, err);
    this.addon.frontReject(conn, socksReplyFor(err));
  }

  /** Another outbound: the JS inbound dials it with this decision, on the client's socket. */
  private release(conn: object, meta: ConnMeta, decision: RouteDecision): void {
    this.addon.frontRelease(conn, (fd) => {
      this.conns.delete(conn);
      const socket = socketFromFd(fd);
      const hs = this.closing ? null : this.inbound.handshake(socket);
      if (hs === null) {
        socket.destroy();
        return;
      }
      hs.complete();
      runGuarded(this.env, socket, connectSocks5(hs, meta.destination, null, EMPTY, { meta, decision }));
    });
  }
}
