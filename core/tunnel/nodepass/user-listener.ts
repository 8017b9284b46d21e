import dgram from 'node:dgram';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { NodePassEndpoint, NodePassParams } from '../../codec/nodepass-url';
import { formatHostPort } from '../../common/net';
import { listenError } from '../../common/listen-error';
import type { ForwardEnv } from './tcp-forward';
import { DatagramDeframer, frameDatagram } from './udp-frames';
import { type UdpSession, UdpSessionTable } from './udp-sessions';

/** What the listening side does with what arrives at its user-facing address. */
export interface UserHandlers {
  onTcp(sock: Socket): void;
  /** A new UDP source `ip:port`: announce it and give the pool connection to frame over (null: drop). */
  onUdpSession(remote: string): Promise<Socket | null>;
}

interface ListenUdpSession extends UdpSession {
  pool: Socket | null;
  pending: Buffer[];
}

/**
 * The user-facing TCP and UDP listeners of a dual-end tunnel's listening side. UDP: one session per
 * source ip:port over its own pool connection, datagrams framed with a 2-byte length (udp-frames),
 * 30 s idle expiry.
 */
export class UserListener {
  private tcp: net.Server | null = null;
  private udp: dgram.Socket | null = null;
  private bound: string | null = null;
  private readonly sessions: UdpSessionTable<ListenUdpSession>;

  constructor(private readonly at: NodePassEndpoint, private readonly env: ForwardEnv, private readonly h: UserHandlers) {
    this.sessions = new UdpSessionTable(() => env.counters.release('udp'));
  }

  address(): string | null {
    return this.bound;
  }

  async start(p: NodePassParams): Promise<void> {
    const host = this.at.host;
    const where = formatHostPort(host || '0.0.0.0', this.at.port);
    if (!p.notcp) {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.h.onTcp(s));
      this.tcp = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(listenError(err, where)));
        server.listen(this.at.port, host || undefined, () => resolve());
      });
      const a = server.address() as AddressInfo;
      this.bound = formatHostPort(a.address, a.port);
    }
    if (!p.noudp) {
      const port = this.tcp ? (this.tcp.address() as AddressInfo).port : this.at.port;
      const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4', (m, from) => this.onDatagram(m, from));
      this.udp = sock;
      await new Promise<void>((resolve, reject) => {
        sock.once('error', (err) => reject(listenError(err, where)));
        sock.bind(port, host || undefined, () => resolve());
      });
      sock.on('error', (err) => this.env.ctx.log.warn(`udp ${where}: ${err.message}`));
      const a = sock.address();
      this.bound ??= formatHostPort(a.address, a.port);
    }
  }

  close(): void {
    this.sessions.closeAll();
    this.tcp?.close();
    this.tcp = null;
    this.udp?.close();
    this.udp = null;
  }

  private onDatagram(msg: Buffer, from: dgram.RemoteInfo): void {
    const { counters, bucket } = this.env;
    const key = formatHostPort(from.address, from.port);
    if (bucket && bucket.delay() > 0) return;
    bucket?.take(msg.length);
    const existing = this.sessions.get(key);
    if (existing) {
      existing.lastActive = Date.now();
      counters.udprx += msg.length;
      if (existing.pool) this.write(existing.pool, msg);
      else existing.pending.push(msg);
      return;
    }
    if (!counters.admit('udp')) return;
    counters.udprx += msg.length;
    const s: ListenUdpSession = { lastActive: Date.now(), pool: null, pending: [msg], close: () => s.pool?.destroy() };
    this.sessions.add(key, s);
    void this.h.onUdpSession(key).then((pool) => {
      if (pool === null || this.sessions.get(key) !== s) {
        pool?.destroy();
        this.sessions.remove(key, s);
        return;
      }
      s.pool = pool;
      pool.on('error', () => {});
      pool.once('close', () => this.sessions.remove(key, s));
      const deframer = new DatagramDeframer();
      pool.on('data', (chunk: Buffer) => deframer.push(chunk, (d) => {
        s.lastActive = Date.now();
        counters.udptx += d.length;
        this.udp?.send(Buffer.from(d), from.port, from.address);
      }));
      pool.resume();
      for (const m of s.pending) this.write(pool, m);
      s.pending = [];
    });
  }

  private write(pool: Socket, msg: Buffer): void {
    const f = frameDatagram(msg);
    if (f) pool.write(f);
  }
}
