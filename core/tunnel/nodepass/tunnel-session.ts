import type { Socket } from 'node:net';
import type { ConnMeta } from '../../adapter';
import type { NodePassEndpoint, NodePassUrl } from '../../codec/nodepass-url';
import type { NodePassSignal } from '../../codec/nodepass-signal';
import { formatHostPort } from '../../common/net';
import { ControlChannel } from './control';
import type { PoolRegistry } from './pool';
import { sniffThen } from './sniff';
import { type ForwardEnv, forwardTcp, relayPair } from './tcp-forward';
import { UserListener } from './user-listener';
import { DialSideUdp } from './udp-dial-side';
import { parseRemote } from './targets';

/** How long a side waits for a pool connection (a named id, or any ready one). */
export const POOL_WAIT_MS = 5000;

/** The `verify` exchange when tls≠0 (see TunnelSession). */
export type VerifyRole =
  | { role: 'server'; fingerprint: string }
  | { role: 'client'; peerFingerprint(pool: Socket): string | null };

/** Options of a TunnelSession: one handshake's worth of a dual-end tunnel on one end. */
export interface TunnelSessionOptions {
  url: NodePassUrl;
  env: ForwardEnv;
  pool: PoolRegistry;
  control: Socket;
  /** listen: accept users at `listenAt` and announce them; dial: take announced sessions to the targets. */
  side: 'listen' | 'dial';
  listenAt: NodePassEndpoint;
  /** null when tls=0 (no verify exchange). */
  verify: VerifyRole | null;
  /** @default 5000 */
  pingMs?: number;
  /** The session ended (control channel gone, verify mismatch, listen failure); called once. */
  onClose(reason: string): void;
}

/**
 * A running dual-end tunnel on one end, from the control channel on: pings, `flush`, `verify`
 * (the server sends its certificate fingerprint with the id of a pool connection; the client
 * compares it with the certificate it saw on that connection and echoes its view; a mismatch on
 * either side ends the session; the listening side accepts users only after a match), and the data
 * sessions: the listening side takes a ready pool connection per user and sends `tcp`/`udp` with
 * its id, the dialing side takes that connection and carries it to a target.
 */
export class TunnelSession {
  readonly control: ControlChannel;
  private listener: UserListener | null = null;
  private readonly udp: DialSideUdp;
  private done = false;
  private verified: () => void = () => {};
  private verifyConn: Socket | null = null;

  constructor(private readonly o: TunnelSessionOptions) {
    this.udp = new DialSideUdp(o.env, o.pool, POOL_WAIT_MS);
    this.control = new ControlChannel(o.control, {
      key: o.url.tunnelKey, log: o.env.ctx.log, pingMs: o.pingMs,
      onSignal: (s) => this.onSignal(s),
      onClose: (reason) => this.close(reason),
    });
  }

  /** Starts listening (listen side, after verify when tls≠0). Rejects when listening fails. */
  async start(): Promise<void> {
    const v = this.o.verify;
    const ready = v === null ? Promise.resolve() : new Promise<void>((resolve) => (this.verified = resolve));
    if (v?.role === 'server') void this.sendVerify(v.fingerprint);
    if (this.o.side !== 'listen') return;
    await ready;
    if (this.done) return;
    const env = this.o.env;
    this.listener = new UserListener(this.o.listenAt, env, {
      onTcp: (sock) => this.onUserTcp(sock),
      onUdpSession: async (remote) => {
        const got = await this.o.pool.takeAny(POOL_WAIT_MS);
        if (got === null) return null;
        this.control.send({ action: 'udp', remote, id: got.id });
        return got.socket;
      },
    });
    try {
      await this.listener.start(this.o.url.params);
    } catch (err) {
      this.close(`listen failed: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Where users connect (listen side), for address(). */
  address(): string | null {
    return this.listener?.address() ?? null;
  }

  close(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.verified();
    this.verifyConn?.destroy();
    this.control.close(reason);
    this.listener?.close();
    this.udp.close();
    this.o.onClose(reason);
  }

  private onUserTcp(sock: Socket): void {
    const { env } = this.o;
    const { ctx, counters } = env;
    const source = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    sniffThen(sock, this.o.url.params.block, (kind) => {
      ctx.stats.badHandshake(ctx.instanceId, `blocked-${kind}`);
      ctx.log.warn(`tcp from ${formatHostPort(source.address, source.port)} refused: ${kind} is blocked`);
    }, (head) => {
      sock.on('error', () => {});
      if (!counters.admit('tcp')) {
        sock.destroy();
        return;
      }
      void this.o.pool.takeAny(POOL_WAIT_MS).then((got) => {
        if (got === null || sock.destroyed || this.done) {
          got?.socket.destroy();
          counters.release('tcp');
          if (got === null) ctx.log.warn(`tcp ${formatHostPort(source.address, source.port)}: no pool connection ready`);
          sock.destroy();
          return;
        }
        this.control.send({ action: 'tcp', remote: formatHostPort(source.address, source.port), id: got.id });
        sock.once('close', () => counters.release('tcp'));
        const meta: ConnMeta = {
          id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: env.inbound, network: 'tcp', source,
          destination: { host: this.o.url.tunnel.host || '127.0.0.1', port: this.o.url.tunnel.port }, user: null,
        };
        relayPair(env, meta, sock, got.socket, head);
      });
    });
  }

  private onSignal(s: NodePassSignal): void {
    const { env, pool } = this.o;
    if (s.action === 'flush') return pool.flush();
    if (s.action === 'verify') return void this.onVerify(s);
    if (this.o.side !== 'dial' || !s.id || !s.remote) return;
    if (s.action === 'tcp') {
      const source = parseRemote(s.remote);
      void pool.takeId(s.id, POOL_WAIT_MS).then((sock) => {
        if (sock === null) return env.ctx.log.warn(`tcp ${s.remote}: pool connection ${s.id} not found`);
        void forwardTcp(env, sock, source);
      });
    } else if (s.action === 'udp') {
      this.udp.open(s.id, s.remote);
    }
  }

  private async sendVerify(fingerprint: string): Promise<void> {
    const got = await this.o.pool.takeAny(POOL_WAIT_MS);
    if (got === null) return this.close('verify: no pool connection to test');
    // Kept open until the client answers: it must still find this connection in its pool.
    this.verifyConn = got.socket;
    if (this.done) got.socket.destroy();
    else this.control.send({ action: 'verify', id: got.id, fp: fingerprint });
  }

  private async onVerify(s: NodePassSignal): Promise<void> {
    const v = this.o.verify;
    if (v === null || !s.fp) return;
    if (v.role === 'server') {
      this.verifyConn?.destroy();
      if (s.fp !== v.fingerprint) return this.close(`verify: client saw certificate ${s.fp}, ours is ${v.fingerprint}`);
      this.verified();
      return;
    }
    const sock = s.id ? await this.o.pool.takeId(s.id, POOL_WAIT_MS) : null;
    if (sock === null) return this.close(`verify: pool connection ${s.id ?? '?'} not found`);
    const seen = v.peerFingerprint(sock);
    sock.destroy();
    if (seen !== s.fp) return this.close(`verify: certificate fingerprint mismatch (server says ${s.fp}, we saw ${seen ?? 'none'})`);
    this.control.send({ action: 'verify', id: s.id, fp: seen });
    this.verified();
  }
}
