import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import type { InstanceContext, InstanceRunner } from '../../adapter';
import { SOCKS_VERSION } from '../../codec/socks5';
import { listenError } from '../../common/listen-error';
import { formatHostPort } from '../../common/net';
import { DeadlineQueue } from '../../route/deadline-queue';
import { LinkedList } from '../../route/linked-list';
import { frontAddon } from '../../route/splice';
import { CoreError, parseHostPort, type MixedSpec } from '../../rpc';
import { Handshake, type MixedEnv } from './handshake';
import { HttpFront } from './http-front';
import { serveHttp } from './http-head';
import { NativeFront, type HandoffStage } from './native-front';
import { serveSocks5 } from './socks5-session';
import { UserTable } from './users';

/**
 * The mixed inbound: SOCKS5 (RFC 1928/1929, CONNECT and UDP ASSOCIATE) and an HTTP proxy
 * (CONNECT and absolute-form requests) on one port, told apart by the first byte: 0x05 is SOCKS5,
 * an ASCII letter HTTP, anything else is closed. Every routed connection goes through
 * ctx.router, the chosen outbound and ctx.relay.
 */
export function createMixedInbound(spec: MixedSpec, ctx: InstanceContext): InstanceRunner {
  return new MixedInbound(spec, ctx);
}

class MixedInbound implements InstanceRunner {
  private server: Server | null = null;
  private native: NativeFront | null = null;
  private bound: string | null = null;
  private closing: Promise<void> | null = null;
  private readonly env: MixedEnv;
  private readonly front: HttpFront;
  /** The 'error' listener of every accepted socket (`this` is the socket): no closure per connection. */
  private readonly onClientError: (this: Socket, err: NodeJS.ErrnoException) => void;

  constructor(spec: MixedSpec, private readonly ctx: InstanceContext) {
    const log = ctx.log;
    this.onClientError = function (this: Socket, err: NodeJS.ErrnoException) {
      if (log.enabled('debug')) log.debug(`client ${this.remoteAddress}:${this.remotePort} ${err.code ?? err.message}`);
    };
    this.env = {
      spec, ctx, users: new UserTable(spec.users), udpAssociations: new Set(),
      deadlines: new DeadlineQueue(spec.handshakeTimeoutMs), sockets: new LinkedList(),
    };
    this.front = new HttpFront(this.env);
  }

  async start(): Promise<void> {
    if (this.server || this.native) return;
    if (this.closing) throw new CoreError('E_STATE_TRANSITION', 'this mixed inbound was closed; create a new one');
    const listen = this.env.spec.listen;
    const hp = parseHostPort(listen);
    if (hp === null) throw new CoreError('E_CONFIG_INVALID', `listen "${listen}" is not host:port`);
    const addon = frontAddon();
    // The native front serves no-auth SOCKS5 (authentication stays in JS) on an IP literal.
    if (addon !== null && !this.env.users.required && net.isIP(hp.host) !== 0) {
      const front = new NativeFront(addon, this.env, {
        serve: (socket, first, stage) => this.serve(socket, first, stage),
        handshake: (socket) => this.handshake(socket),
      });
      try {
        front.listen(hp.host, hp.port);
      } catch (err) {
        throw listenError(err, listen);
      }
      this.native = front;
      this.bound = formatHostPort(hp.host, front.port);
      this.ctx.log.info(`mixed proxy (SOCKS5 + HTTP) listening on ${this.bound} (native SOCKS5 front)`);
      return;
    }
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: hp.host, port: hp.port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      this.server = null;
      throw listenError(err, listen);
    });
    server.on('error', (err) => this.ctx.log.warn(`mixed listener ${this.bound}: ${err.message}`));
    const addr = server.address() as AddressInfo;
    this.bound = formatHostPort(addr.address, addr.port);
    this.ctx.log.info(`mixed proxy (SOCKS5 + HTTP) listening on ${this.bound}${this.env.users.required ? ', authentication required' : ''}`);
  }

  address(): string | null {
    return this.bound;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    const stopped = server ? new Promise<void>((r) => server.close(() => r())) : this.native?.close() ?? Promise.resolve();
    for (const close of [...this.env.udpAssociations]) close();
    this.front.close();
    for (const socket of this.env.sockets.toArray()) socket.destroy();
    this.env.deadlines.clear();
    await stopped;
    this.bound = null;
  }

  /** Takes an accepted client into the inbound (null: closing, or the client is gone already). */
  private handshake(socket: Socket): Handshake | null {
    const remoteAddress = socket.remoteAddress;
    if (this.closing || remoteAddress === undefined) {
      socket.destroy();
      return null;
    }
    socket.on('error', this.onClientError);
    return new Handshake(socket, this.env, remoteAddress);
  }

  private onConnection(socket: Socket): void {
    const hs = this.handshake(socket);
    if (hs === null) return;
    const onFirst = (first: Buffer) => {
      socket.off('data', onFirst);
      this.dispatch(hs, first);
    };
    socket.on('data', onFirst);
  }

  /** A client the native front handed over, with the bytes it read and where to pick up. */
  private serve(socket: Socket, first: Buffer, stage: HandoffStage): void {
    const hs = this.handshake(socket);
    if (hs === null) return;
    if (stage === 'request') serveSocks5(hs, first, 'request');
    else this.dispatch(hs, first);
  }

  /** The protocol, by the first byte. */
  private dispatch(hs: Handshake, first: Buffer): void {
    const b = first[0]!;
    if (b === SOCKS_VERSION) serveSocks5(hs, first);
    else if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) serveHttp(hs, first, this.front);
    else hs.reject('unknown-protocol', `first byte 0x${b.toString(16).padStart(2, '0')} is neither SOCKS5 nor HTTP`);
  }
}
