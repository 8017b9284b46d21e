import dgram from 'node:dgram';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { ConnMeta, InstanceContext, UdpConn } from '../../adapter';
import type { NodePassUrl } from '../../codec/nodepass-url';
import { formatHostPort } from '../../common/net';
import { listenError } from '../../common/listen-error';
import { TokenBucket } from '../../common/token-bucket';
import { TunnelCounters } from './counters';
import { sniffThen } from './sniff';
import { TargetDialer } from './targets';
import { type ForwardEnv, forwardTcp } from './tcp-forward';
import type { NodePassRunner } from './types';
import { type UdpSession, UdpSessionTable } from './udp-sessions';

interface ForwardUdpSession extends UdpSession {
  conn: UdpConn | null;
  /** Datagrams that arrived while the outbound conversation was opening. */
  pending: Buffer[];
  send: ((m: Buffer) => void) | null;
}

/**
 * A single-end NodePass client (`client://` mode 1): listens on the tunnel address and forwards each
 * TCP connection and each UDP source (ip:port, 30 s idle expiry) to the targets, round-robin with
 * failover, honouring rate, slot, read, proxy, block, notcp and noudp.
 */
export function createSingleEndClient(url: NodePassUrl, ctx: InstanceContext): NodePassRunner {
  const p = url.params;
  const counters = new TunnelCounters(p.slot);
  const dialer = new TargetDialer(url.targets, ctx.log);
  const bucket = p.rate > 0 ? new TokenBucket(p.rate * 125_000) : null;
  const env: ForwardEnv = { ctx, dialer, counters, bucket, readMs: p.readMs, proxy: p.proxy, inbound: 'nodepass', live: new Set() };
  const host = url.tunnel.host;
  let tcp: net.Server | null = null;
  let udp: dgram.Socket | null = null;
  let bound: string | null = null;
  let closed = false;
  const sessions = new UdpSessionTable<ForwardUdpSession>(() => counters.release('udp'));

  const onTcp = (sock: Socket) => {
    const source = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    sniffThen(sock, p.block, (kind) => {
      ctx.stats.badHandshake(ctx.instanceId, `blocked-${kind}`);
      ctx.log.warn(`tcp from ${formatHostPort(source.address, source.port)} refused: ${kind} is blocked`);
    }, (head) => void forwardTcp(env, sock, source, head));
  };

  const onDatagram = (msg: Buffer, from: dgram.RemoteInfo) => {
    const key = formatHostPort(from.address, from.port);
    let s = sessions.get(key);
    if (bucket && bucket.delay() > 0) return;
    bucket?.take(msg.length);
    counters.udprx += msg.length;
    if (s === undefined) {
      if (!counters.admit('udp')) return;
      const created: ForwardUdpSession = {
        lastActive: Date.now(), conn: null, pending: [msg], send: null,
        close: () => created.conn?.close(),
      };
      s = created;
      sessions.add(key, s);
      const meta: ConnMeta = {
        id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'nodepass', network: 'udp',
        source: { address: from.address, port: from.port }, destination: dialer.pick(), user: null,
      };
      dialer.decision.outbound.openUdp(meta).then((conn) => {
        if (sessions.get(key) !== created) return conn.close();
        created.conn = conn;
        conn.onMessage((payload) => {
          created.lastActive = Date.now();
          counters.udptx += payload.length;
          udp?.send(payload, from.port, from.address);
        });
        for (const m of created.pending) conn.send(m, meta.destination);
        created.pending = [];
        created.send = (m: Buffer) => conn.send(m, meta.destination);
      }, (err: Error) => {
        ctx.log.warn(`udp ${key}: ${err.message}`);
        sessions.remove(key, created);
      });
      return;
    }
    s.lastActive = Date.now();
    if (s.send === null) s.pending.push(msg);
    else s.send(msg);
  };

  return {
    async start() {
      const portText = formatHostPort(host || '0.0.0.0', url.tunnel.port);
      if (!p.notcp) {
        const server = net.createServer({ allowHalfOpen: true, noDelay: true }, onTcp);
        tcp = server;
        await new Promise<void>((resolve, reject) => {
          server.once('error', (err) => reject(listenError(err, portText)));
          server.listen(url.tunnel.port, host || undefined, () => resolve());
        });
        const a = server.address() as AddressInfo;
        bound = formatHostPort(a.address, a.port);
      }
      if (!p.noudp) {
        const port = tcp ? (tcp.address() as AddressInfo).port : url.tunnel.port;
        const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4', onDatagram);
        udp = sock;
        try {
          await new Promise<void>((resolve, reject) => {
            sock.once('error', (err) => reject(listenError(err, portText)));
            sock.bind(port, host || undefined, () => resolve());
          });
        } catch (err) {
          await this.close();
          throw err;
        }
        sock.on('error', (err) => ctx.log.warn(`udp ${portText}: ${err.message}`));
        const a = sock.address();
        bound ??= formatHostPort(a.address, a.port);
      }
      counters.mode = 1;
      ctx.log.info(`single-end client on ${bound} → ${url.targets.map((t) => formatHostPort(t.host, t.port)).join(',')}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      sessions.closeAll();
      for (const s of [...env.live]) s.destroy();
      const server = tcp;
      tcp = null;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      udp?.close();
      udp = null;
      dialer.close();
    },
    address: () => bound,
    metrics: () => counters.snapshot(0),
    poolStats: () => ({ created: 0, reused: 0, idle: 0, hits: 0, misses: 0 }),
  };
}
