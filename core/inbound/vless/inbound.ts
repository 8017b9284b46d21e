import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import type { InstanceContext } from '../../adapter';
import { unmapIPv4 } from '../../codec/address';
import { formatUuid } from '../../codec/vless';
import { listenError } from '../../common/listen-error';
import { formatHostPort } from '../../common/net';
import { CoreError, parseHostPort, type RelayUser, type VlessInboundSpec } from '../../rpc';
import { FRONT_STAGE_BRIDGED, frontAddon, frontTls, type FrontAddon } from '../../route/splice';
import { nativeServerContext } from '../../transport/native-tls';
import { loadServerTls, type ServerTls } from '../../transport/server-tls';
import { createWsAcceptor, type WsAcceptor } from '../../transport/server-ws';
import type { VlessEnv } from './env';
import { notFoundFallback, type FallbackHandler } from './fallback';
import { serveClient } from './handshake';
import { VlessNativeFront } from './native-front';
import { UserLimits } from './limits';
import type { VlessRunner, VlessUserSnapshot } from './runner';
import { UserTraffic } from './traffic';
import { UserIndex, normalizeUuid } from './users';
import { applyUsersLive } from './users-live';

/** How long close() waits for the relays of live connections to end (their last bytes count). */
const DRAIN_MS = 2000;

/**
 * The VLESS relay: VLESS over TCP, TLS or WebSocket (over TLS or not), TCP and UDP commands, users
 * with limits (see UserLimits) and traffic counters (see UserTraffic). On a plaintext TCP port with
 * fallback "monitor", clients that start like HTTP are handed to the fallback handler.
 */
export function createVlessInbound(spec: VlessInboundSpec, ctx: InstanceContext): VlessRunner {
  return new VlessInbound(spec, ctx);
}

class VlessInbound implements VlessRunner {
  private server: net.Server | null = null;
  private native: VlessNativeFront | null = null;
  private ws: WsAcceptor | null = null;
  private bound: string | null = null;
  private closing: Promise<void> | null = null;
  /** Every accepted TCP socket until it closes, whatever it carries. */
  private readonly sockets = new Set<Socket>();
  private readonly env: VlessEnv;

  constructor(spec: VlessInboundSpec, private readonly ctx: InstanceContext) {
    const limits = new UserLimits();
    const traffic = this.createTraffic(spec.users);
    this.env = { spec, ctx, users: new UserIndex(spec.users), limits, traffic, fallback: notFoundFallback, closing: false };
  }

  async start(): Promise<void> {
    if (this.server || this.native) return;
    if (this.closing) throw new CoreError('E_STATE_TRANSITION', 'this VLESS relay was closed; create a new one');
    const { spec } = this.env;
    const hp = parseHostPort(spec.listen);
    if (hp === null) throw new CoreError('E_CONFIG_INVALID', `listen "${spec.listen}" is not host:port`);
    const addon = frontAddon();
    const secure = spec.tls ? await loadServerTls(spec.tls) : null;
    // Natively: TCP or WebSocket, with TLS where the native side can do it.
    if (addon !== null && (secure === null || frontTls(addon)) && net.isIP(hp.host) !== 0) return this.startNative(addon, hp.host, hp.port, secure);
    const server = this.createServer(secure);
    this.server = server;
    server.on('connection', this.serverOnConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: hp.host, port: hp.port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      this.server = null;
      this.ws?.close();
      throw listenError(err, spec.listen);
    });
    server.on('error', (err) => this.ctx.log.warn(`VLESS listener ${this.bound}: ${err.message}`));
    const addr = server.address() as AddressInfo;
    this.bound = formatHostPort(addr.address, addr.port);
    this.env.traffic.start();
    const transport = spec.transport.type === 'ws' ? `WebSocket ${spec.transport.path}` : 'TCP';
    this.ctx.log.info(`VLESS relay (${transport}${secure ? `, TLS with ${secure.origin}` : ''}) listening on ${this.bound}, ${spec.users.length} user${spec.users.length === 1 ? '' : 's'}`);
  }

  /** TCP (TLS or not) on an IP: the native front accepts and reads headers (see VlessNativeFront). */
  private startNative(addon: FrontAddon, ip: string, port: number, secure: ServerTls | null): void {
    const { spec } = this.env;
    let tls: object | undefined;
    try {
      tls = secure === null ? undefined : nativeServerContext(addon, secure);
    } catch (err) {
      throw new CoreError('E_CONFIG_INVALID', `TLS ${secure!.origin}: ${(err as Error).message}`, { cause: err });
    }
    const wsPath = spec.transport.type === 'ws' ? spec.transport.path : undefined;
    if (wsPath !== undefined) this.ws = this.createWsAcceptor(wsPath);
    const front = new VlessNativeFront(addon, this.env, (socket, first, peer, stage) => this.serveHandedOver(socket, first, peer, stage));
    try {
      front.listen(ip, port, tls, wsPath);
    } catch (err) {
      this.ws?.close();
      throw listenError(err, spec.listen);
    }
    this.native = front;
    this.bound = formatHostPort(ip, front.port);
    this.env.traffic.start();
    const transport = `${wsPath !== undefined ? `WebSocket ${wsPath}` : 'TCP'}${secure ? `, TLS with ${secure.origin}` : ''}`;
    const where = `native front${secure ? ` on ${addon.tlsLibrary}` : ''}`;
    this.ctx.log.info(`VLESS relay (${transport}, ${where}) listening on ${this.bound}, ${spec.users.length} user${spec.users.length === 1 ? '' : 's'}`);
  }

  /**
   * A client the native front gave back, with the bytes it read (`stage`: FRONT_STAGE_*), served
   * as if just accepted. A bridged socket carries the plain bytes of a client whose TLS or
   * WebSocket stays native (a socketpair), so the client's address comes with it. On a WebSocket
   * port, what is not yet upgraded is an HTTP request for the JS acceptor.
   */
  private serveHandedOver(socket: Socket, first: Buffer, peer: { address: string; port: number }, stage: number): void {
    if (this.closing) return void socket.destroy();
    const { spec } = this.env;
    this.serverOnConnection(socket);
    if (first.length > 0) socket.unshift(first);
    const source = { address: unmapIPv4(peer.address), port: peer.port };
    if (this.ws !== null && stage !== FRONT_STAGE_BRIDGED) return this.ws.accept(socket, source);
    serveClient(this.env, { stream: socket, raw: socket, source, sniffHttp: spec.fallback === 'monitor' && spec.tls === null && stage !== FRONT_STAGE_BRIDGED });
  }

  address(): string | null {
    return this.bound;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  setFallbackHandler(fn: FallbackHandler | null): void {
    this.env.fallback = fn ?? notFoundFallback;
  }

  users(): VlessUserSnapshot[] {
    const { limits, traffic } = this.env;
    return this.env.users.list().map((u) => {
      const c = traffic.get(u.name);
      return {
        name: u.name, uuid: formatUuid(Buffer.from(normalizeUuid(u.uuid), 'hex')), ...limits.usage(u.name),
        up: c?.value.up ?? 0, down: c?.value.down ?? 0, lastResetAt: c?.lastResetAt ?? null,
      };
    });
  }

  resetQuota(name: string): boolean {
    const ok = this.env.traffic.reset(name);
    if (ok) this.ctx.log.info(`user "${name}" traffic counter reset by hand`);
    return ok;
  }

  setUsers(users: readonly RelayUser[]): number {
    const closed = applyUsersLive(this.env, users, this.server !== null || this.native !== null, (u) => this.createTraffic(u));
    this.ctx.log.info(`users updated live: ${users.length} user${users.length === 1 ? '' : 's'}, ${closed} connection${closed === 1 ? '' : 's'} closed`);
    return closed;
  }

  private createTraffic(users: readonly RelayUser[]): UserTraffic {
    return new UserTraffic({
      instanceId: this.ctx.instanceId, users, host: this.ctx.accounting ?? null, log: this.ctx.log,
      onQuotaExceeded: (user, used) => this.quotaExceeded(user, used),
    });
  }

  private createServer(secure: ServerTls | null): net.Server {
    const { spec } = this.env;
    const base = { allowHalfOpen: true, noDelay: true };
    const tlsOpts = secure ? { ...secure.options, ...base, handshakeTimeout: spec.handshakeTimeoutMs } : null;
    if (spec.transport.type === 'ws') {
      const ws = (this.ws = this.createWsAcceptor(spec.transport.path));
      const accept = (socket: Socket) => ws.accept(socket);
      if (!tlsOpts) return net.createServer(base, accept);
      const server = tls.createServer(tlsOpts, accept);
      server.on('tlsClientError', this.serverOnTlsError);
      return server;
    }
    if (tlsOpts) {
      const server = tls.createServer(tlsOpts, (socket) => {
        serveClient(this.env, { stream: socket, raw: socket, source: sourceOf(socket), sniffHttp: false });
      });
      server.on('tlsClientError', this.serverOnTlsError);
      return server;
    }
    return net.createServer(base, (socket) => {
      if (socket.remoteAddress === undefined) return void socket.destroy();
      serveClient(this.env, { stream: socket, raw: socket, source: sourceOf(socket), sniffHttp: spec.fallback === 'monitor' });
    });
  }

  private createWsAcceptor(path: string): WsAcceptor {
    return createWsAcceptor({ path, timeoutMs: this.env.spec.handshakeTimeoutMs }, (stream, peer) => {
      serveClient(this.env, { stream, raw: stream.socket, source: peer ?? sourceOf(stream.socket), sniffHttp: false });
    });
  }

  private readonly serverOnConnection = (socket: Socket): void => {
    if (this.closing) return void socket.destroy();
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', ignore);
  };

  private readonly serverOnTlsError = (err: NodeJS.ErrnoException, socket: tls.TLSSocket): void => {
    const { ctx } = this.env;
    const code = err.code ?? '';
    // A peer that connects and goes away without a word is not a bad handshake.
    const kind = code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'timeout' : code === 'ECONNRESET' ? null : 'protocol';
    if (kind) ctx.stats.badHandshake(ctx.instanceId, kind);
    if (ctx.log.enabled('debug')) ctx.log.debug(`TLS handshake from ${socket.remoteAddress}:${socket.remotePort} failed: ${code || err.message}`);
    socket.destroy();
  };

  private quotaExceeded(user: RelayUser, used: number): void {
    const closed = this.env.limits.closeUser(user.name);
    if (closed > 0) this.ctx.log.info(`user "${user.name}" quota used up (${used} of ${user.quotaBytes} bytes): ${closed} connection${closed === 1 ? '' : 's'} closed`);
  }

  private async shutdown(): Promise<void> {
    this.env.closing = true;
    const server = this.server;
    const native = this.native;
    this.server = null;
    this.native = null;
    const stopped = server ? new Promise<void>((r) => server.close(() => r())) : native?.close() ?? Promise.resolve();
    this.ws?.close();
    const drained = this.env.limits.closeAll();
    for (const socket of this.sockets) socket.destroy();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))]);
    clearTimeout(timer);
    this.env.traffic.close();
    await stopped;
    this.bound = null;
  }
}

function sourceOf(socket: Socket): { address: string; port: number } {
  return { address: unmapIPv4(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
}

function ignore(): void {
  // Errors are reported by whoever owns the socket's stream (handshake, relay, fallback).
}
