import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnMeta } from '../../adapter';
import { parseRequest, type VlessInvalidReason, type VlessRequest } from '../../codec/vless';
import type { RelayUser } from '../../rpc';
import type { VlessBadHandshake, VlessEnv } from './env';
import { sniffHttp } from './fallback';
import { serveTcp } from './tcp';
import { serveUdp } from './udp';
import { accountRefusal } from './users';

/** One accepted client as the transport delivers it. */
export interface ClientConn {
  /** The byte stream: the socket itself (plain TCP), a TLSSocket, or a WsStream. */
  stream: Duplex;
  /** The TCP socket underneath (the stream itself on plain TCP). */
  raw: Socket;
  source: ConnMeta['source'];
  /** Plain TCP with fallback "monitor": a client that starts like HTTP goes to env.fallback. */
  sniffHttp: boolean;
}

/** Longest VLESS request header: 1 + 16 + 1 + 255 + 1 + 2 + 1 + 1 + 255. */
const MAX_HEADER = 533;

const BAD_KIND: Record<VlessInvalidReason, VlessBadHandshake> = {
  version: 'vless-version', uuid: 'vless-uuid', addons: 'protocol', command: 'vless-command', address: 'vless-address', truncated: 'vless-truncated',
};

/**
 * Reads a client's VLESS request header (it may arrive in pieces) within the handshake timeout,
 * fixed at accept. A bad header, an unknown user, a close before the header is complete or the
 * timeout: one badHandshake report, a debug line, and the connection closes with no response.
 */
export function serveClient(env: VlessEnv, conn: ClientConn): void {
  new ClientHandshake(env, conn).begin();
}

class ClientHandshake {
  private buf: Buffer | null = null;
  private user: RelayUser | undefined;
  private settled = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly env: VlessEnv, private readonly conn: ClientConn) {}

  begin(): void {
    const { stream } = this.conn;
    const ms = this.env.spec.handshakeTimeoutMs;
    this.timer = setTimeout(() => this.reject('timeout', `no complete request within ${ms} ms`), ms);
    stream.on('error', this.streamOnError);
    stream.on('data', this.streamOnData);
    stream.once('end', this.streamOnGone);
    stream.once('close', this.streamOnGone);
  }

  private readonly streamOnData = (chunk: Buffer): void => {
    const buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = buf;
    if (this.conn.sniffHttp && buf[0] !== 0) {
      const http = sniffHttp(buf);
      if (http === 'more') return;
      if (http === 'yes') return this.fallback(buf);
    }
    const r = parseRequest(buf, this.lookup);
    if (r.kind === 'ok') return this.accept(r, buf.subarray(r.headerLength));
    if (r.kind === 'invalid') return this.reject(BAD_KIND[r.reason], r.detail);
    // The codec reports every header longer than MAX_HEADER as complete or invalid; a guard all the same.
    if (buf.length > MAX_HEADER) this.reject('protocol', `no complete header in ${buf.length} bytes`);
  };

  private readonly lookup = (uuid: Buffer): boolean => {
    this.user = this.env.users.byUuid(uuid);
    return this.user !== undefined;
  };

  private readonly streamOnGone = (): void => {
    if (this.buf === null) return this.reject(null, 'client closed before sending anything');
    const r = parseRequest(this.buf, undefined, { final: true });
    this.reject(r.kind === 'invalid' ? BAD_KIND[r.reason] : 'vless-truncated', `client closed during the handshake (${this.buf.length} bytes)`);
  };

  private readonly streamOnError = (err: NodeJS.ErrnoException): void => {
    const log = this.env.ctx.log;
    if (log.enabled('debug')) log.debug(`client ${this.peer()} ${err.code ?? err.message}`);
  };

  /** Stops reading the header: the stream is paused with the data listener gone, the error logger kept. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { stream } = this.conn;
    stream.off('data', this.streamOnData);
    stream.off('end', this.streamOnGone);
    stream.off('close', this.streamOnGone);
    stream.pause();
    return true;
  }

  /** `kind` null: nothing was received, nothing is counted. */
  private reject(kind: VlessBadHandshake | null, reason: string): void {
    if (!this.settle()) return;
    const { ctx } = this.env;
    if (kind !== null) ctx.stats.badHandshake(ctx.instanceId, kind);
    if (ctx.log.enabled('debug')) ctx.log.debug(`handshake from ${this.peer()} rejected (${kind ?? 'not counted'}): ${reason}`);
    this.conn.stream.destroy();
  }

  private fallback(head: Buffer): void {
    if (!this.settle()) return;
    const { ctx } = this.env;
    if (ctx.log.enabled('debug')) ctx.log.debug(`client ${this.peer()} speaks HTTP: handed to the fallback`);
    try {
      this.env.fallback(this.conn.raw, head);
    } catch (err) {
      ctx.log.error(`fallback handler failed for ${this.peer()}: ${(err as Error).stack ?? String(err)}`);
      this.conn.raw.destroy();
    }
  }

  private accept(req: VlessRequest, head: Buffer): void {
    if (!this.settle()) return;
    const { env, conn } = this;
    const { ctx } = env;
    const user = this.user!;
    const refused = accountRefusal(user, Date.now());
    if (refused !== null) {
      ctx.stats.badHandshake(ctx.instanceId, 'vless-uuid');
      if (ctx.log.enabled('debug')) ctx.log.debug(`user "${user.name}" refused: ${refused} (from ${this.peer()})`);
      return void conn.stream.destroy();
    }
    if (req.command === 'mux') {
      ctx.log.info(`user "${user.name}" from ${this.peer()}: Mux (command 3) is not supported; turn mux off in the client`);
      return void conn.stream.destroy();
    }
    if (req.command === 'udp' && !env.spec.udp) {
      ctx.log.info(`user "${user.name}" from ${this.peer()}: UDP is turned off on this relay`);
      return void conn.stream.destroy();
    }
    const limit = env.limits.refusal(user, conn.source.address, env.traffic.used(user.name));
    if (limit !== null) {
      ctx.log.info(`user "${user.name}" refused: ${limit}`);
      return void conn.stream.destroy();
    }
    const live = env.limits.admit(user, conn.source.address, conn.stream, head.length);
    const task = req.command === 'tcp' ? serveTcp(env, live, conn.source, req, head) : serveUdp(env, live, conn.source, req, head);
    task.catch((err: unknown) => {
      ctx.log.error(`unexpected failure serving ${this.peer()}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      live.stream.destroy();
    });
  }

  private peer(): string {
    const s = this.conn.source;
    return s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
  }
}
