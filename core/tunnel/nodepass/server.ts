import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import type { InstanceContext } from '../../adapter';
import type { NodePassUrl } from '../../codec/nodepass-url';
import { formatHostPort } from '../../common/net';
import { listenError } from '../../common/listen-error';
import { TokenBucket } from '../../common/token-bucket';
import { TunnelCounters } from './counters';
import { answerHandshake } from './handshake';
import { CONTROL_ID, PoolRegistry } from './pool';
import { PoolIdSource } from './pool-ids';
import { TargetDialer } from './targets';
import type { ForwardEnv } from './tcp-forward';
import { type ServerTls, serverTls } from './tls-config';
import { TunnelSession } from './tunnel-session';
import type { NodePassRunner, PoolStats } from './types';

/** Test knobs of the dual-end ends. */
export interface DualEndOptions {
  /** Control-channel ping period. @default 5000 */
  pingMs?: number;
  /** How long after the handshake the control channel must exist. @default 5000 */
  handshakeTimeoutMs?: number;
}

/**
 * A NodePass server end (`server://`): the HTTP handshake on the tunnel port, then the pool
 * connections of the client that passed it (TLS per `tls`, a 4-byte random id each, the first
 * 00000000 = control channel). Mode 1 (reverse, flow "-") listens on the first target for users;
 * mode 2 (forward, flow "+") dials the targets for the client's users; mode 0 picks 1 when it can
 * listen on the target. When the control channel goes, the server waits for a new handshake.
 */
export function createNodePassServer(url: NodePassUrl, ctx: InstanceContext, opts: DualEndOptions = {}): NodePassRunner {
  const p = url.params;
  const counters = new TunnelCounters(p.slot);
  const dialer = new TargetDialer(url.targets, ctx.log);
  const bucket = p.rate > 0 ? new TokenBucket(p.rate * 125_000) : null;
  const env: ForwardEnv = { ctx, dialer, counters, bucket, readMs: p.readMs, proxy: p.proxy, inbound: 'nodepass', live: new Set() };
  let tlsInfo: ServerTls | null = null;
  let server: net.Server | null = null;
  let bound: string | null = null;
  let closed = false;
  let flow: '-' | '+' = '-';
  // One handshake's state: the client's IP, its pool and (once it exists) the session.
  // `liveIds`: ids of this client's pool connections that are still open (idle or carrying a session).
  let peer: { ip: string; pool: PoolRegistry; session: TunnelSession | null; nextIsControl: boolean; timer: NodeJS.Timeout; liveIds: Set<string> } | null = null;
  const idSource = new PoolIdSource();
  const sockets = new Set<Socket>();
  // Pool figures of earlier clients, so poolStats() keeps counting across reconnects.
  const past: PoolStats = { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };

  const endPeer = (reason: string) => {
    const cur = peer;
    if (cur === null) return;
    peer = null;
    clearTimeout(cur.timer);
    const st = cur.pool.poolStats();
    past.created += st.created;
    past.reused += st.reused;
    past.hits += st.hits;
    past.misses += st.misses;
    cur.session?.close(reason);
    cur.pool.close();
    if (!closed) ctx.log.info(`tunnel client ${cur.ip} gone (${reason}); waiting for a handshake`);
  };

  const handshake = http.createServer((req, res) => {
    const ip = req.socket.remoteAddress ?? '';
    const out = answerHandshake(req, res, url.tunnelKey, { flow, max: p.max, tls: String(p.tls) as '0' | '1' | '2', type: '0' });
    if (!out.ok) {
      ctx.stats.badHandshake(ctx.instanceId, `tunnel-${out.status}`);
      ctx.log.warn(`tunnel handshake from ${ip} refused: ${out.status}`);
      return;
    }
    endPeer('a new client completed the handshake');
    const timer = setTimeout(() => endPeer('no control channel after the handshake'), opts.handshakeTimeoutMs ?? 5000);
    peer = { ip, pool: new PoolRegistry(), session: null, nextIsControl: true, timer, liveIds: new Set() };
    ctx.log.info(`tunnel client ${ip} connected (flow ${flow}, tls ${p.tls})`);
  });

  const onPoolConn = (raw: Socket, cur: NonNullable<typeof peer>) => {
    const sock: Socket = tlsInfo ? new tls.TLSSocket(raw, { isServer: true, secureContext: tlsInfo.context }) : raw;
    sock.on('error', () => {});
    const ready = () => {
      if (peer !== cur) return void sock.destroy();
      if (!cur.nextIsControl && cur.pool.size >= p.max) return void sock.destroy();
      const id = cur.nextIsControl ? CONTROL_ID : idSource.next(cur.liveIds);
      sock.write(Buffer.from(id, 'hex'));
      if (id !== CONTROL_ID) {
        cur.liveIds.add(id);
        sock.once('close', () => cur.liveIds.delete(id));
        return cur.pool.add(id, sock);
      }
      cur.nextIsControl = false;
      clearTimeout(cur.timer);
      const verify = tlsInfo ? { role: 'server' as const, fingerprint: tlsInfo.fingerprint } : null;
      cur.session = new TunnelSession({
        url, env, pool: cur.pool, control: sock, side: flow === '-' ? 'listen' : 'dial', listenAt: url.targets[0]!,
        verify, pingMs: opts.pingMs, onClose: (reason) => endPeer(reason),
      });
      cur.session.start().catch((err: Error) => ctx.log.error(`tunnel: ${err.message}`));
    };
    if (tlsInfo) sock.once('secure', ready);
    else ready();
  };

  const onConnection = (sock: Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    sock.setKeepAlive(true);
    const cur = peer;
    if (cur === null) return void handshake.emit('connection', sock);
    if (sock.remoteAddress !== cur.ip) return void sock.destroy();
    onPoolConn(sock, cur);
  };

  return {
    async start() {
      tlsInfo = serverTls(url);
      flow = p.mode === 2 ? '+' : p.mode === 1 ? '-' : (await canListen(url.targets[0]!)) ? '-' : '+';
      counters.mode = flow === '-' ? 1 : 2;
      const s = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
      server = s;
      const where = formatHostPort(url.tunnel.host || '0.0.0.0', url.tunnel.port);
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err) => reject(listenError(err, where)));
        s.listen(url.tunnel.port, url.tunnel.host || undefined, () => resolve());
      });
      const a = s.address() as AddressInfo;
      bound = formatHostPort(a.address, a.port);
      ctx.log.info(`tunnel server on ${bound} (${flow === '-' ? 'reverse' : 'forward'}, tls ${p.tls})`);
    },
    async close() {
      if (closed) return;
      closed = true;
      endPeer('instance stopped');
      for (const s of [...env.live, ...sockets]) s.destroy();
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
      handshake.close();
      dialer.close();
    },
    address: () => bound,
    metrics: () => ({ ...counters.snapshot(peer?.pool.size ?? 0), ping: peer?.session?.control.rtt ?? 0 }),
    poolStats: () => {
      const s = peer?.pool.poolStats() ?? { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };
      return { created: past.created + s.created, reused: past.reused + s.reused, idle: s.idle, hits: past.hits + s.hits, misses: past.misses + s.misses };
    },
  };
}

/** Whether this machine can listen on `at` (TCP), tried and released at once (mode 0). */
export async function canListen(at: { host: string; port: number }): Promise<boolean> {
  const s = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(at.port, at.host || undefined, () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => s.close(() => resolve()));
  return ok;
}
