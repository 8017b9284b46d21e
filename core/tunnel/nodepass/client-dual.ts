import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import type { InstanceContext } from '../../adapter';
import type { NodePassUrl } from '../../codec/nodepass-url';
import { certFingerprint } from '../../codec/nodepass-key';
import { formatHostPort } from '../../common/net';
import { TokenBucket } from '../../common/token-bucket';
import { TunnelCounters } from './counters';
import { type HandshakeReply, clientHandshake } from './handshake';
import { CONTROL_ID, PoolRegistry } from './pool';
import type { DualEndOptions } from './server';
import { TargetDialer } from './targets';
import type { ForwardEnv } from './tcp-forward';
import { TunnelSession } from './tunnel-session';
import type { NodePassRunner, PoolStats } from './types';

/** Options of the dual-end client, beyond the server's. */
export interface DualClientOptions extends DualEndOptions {
  /** Extra trusted CA (PEM) for tls=2 servers, which are verified against `sni`. */
  ca?: string;
  /** First reconnect delay, doubled up to 30 s after each failure. @default 1000 */
  retryMs?: number;
}

const MAX_PARALLEL_DIALS = 8;

/**
 * A dual-end NodePass client (`client://` mode 2): the handshake with the server, a pool of
 * pre-dialed connections (capacity starts at `min`, doubles up to the server's `max` whenever the
 * pool runs dry), the control channel on pool id 00000000, then flow "-" (dial the targets for
 * the server's users) or "+" (listen on the first target for users). start() rejects when the first
 * attempt fails (401 → E_AUTH_FAILED); after that a lost server is retried with backoff.
 */
export function createDualEndClient(url: NodePassUrl, ctx: InstanceContext, opts: DualClientOptions = {}): NodePassRunner {
  const p = url.params;
  const counters = new TunnelCounters(p.slot);
  const dialer = new TargetDialer(url.targets, ctx.log);
  const bucket = p.rate > 0 ? new TokenBucket(p.rate * 125_000) : null;
  const env: ForwardEnv = { ctx, dialer, counters, bucket, readMs: p.readMs, proxy: p.proxy, inbound: 'nodepass', live: new Set() };
  const server = { host: url.tunnel.host || '127.0.0.1', port: url.tunnel.port };
  const where = formatHostPort(server.host, server.port);
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let backoff = opts.retryMs ?? 1000;
  let started = false;
  let cur: { pool: PoolRegistry; session: TunnelSession | null; dialing: number; capacity: number; reply: HandshakeReply; sockets: Set<Socket> } | null = null;
  const past: PoolStats = { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };

  const dialPool = (c: NonNullable<typeof cur>): Promise<void> => new Promise((resolve) => {
    const raw = net.connect({ host: server.host, port: server.port, allowHalfOpen: true, noDelay: true });
    const sock: Socket = c.reply.tls === '0' ? raw : tls.connect({
      socket: raw, minVersion: 'TLSv1.3', rejectUnauthorized: c.reply.tls === '2', ca: opts.ca,
      servername: url.serverName !== 'none' ? url.serverName : undefined,
    });
    c.sockets.add(sock);
    sock.once('close', () => {
      c.sockets.delete(sock);
      resolve();
    });
    sock.on('error', (err) => {
      if (ctx.log.enabled('debug')) ctx.log.debug(`pool connection to ${where}: ${err.message}`);
    });
    raw.setKeepAlive(true);
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4) return;
      sock.off('data', onData);
      sock.pause();
      if (got.length > 4) sock.unshift(got.subarray(4));
      if (cur !== c) return void sock.destroy();
      if (ctx.log.enabled('debug')) ctx.log.debug(`pool connection ${got.toString('hex', 0, 4)} ready`);
      c.pool.add(got.toString('hex', 0, 4), sock);
      resolve();
    };
    sock.on('data', onData);
  });

  const refill = (c: NonNullable<typeof cur>) => {
    if (cur !== c || closed) return;
    if (c.pool.size === 0 && c.session) c.capacity = Math.min(c.reply.max, c.capacity * 2);
    while (c.pool.size + c.dialing < c.capacity && c.dialing < MAX_PARALLEL_DIALS) {
      c.dialing++;
      void dialPool(c).then(() => {
        c.dialing--;
        // Retry a failed dial later rather than in a tight loop.
        if (c.pool.size + c.dialing < c.capacity) setTimeout(() => refill(c), 100).unref();
      });
    }
  };

  const lost = (c: NonNullable<typeof cur>, reason: string) => {
    if (cur !== c) return;
    cur = null;
    const s = c.pool.poolStats();
    past.created += s.created; past.reused += s.reused; past.hits += s.hits; past.misses += s.misses;
    c.pool.close();
    for (const s of c.sockets) s.destroy();
    c.session?.close(reason);
    if (!closed && started) ctx.log.warn(`tunnel to ${where} lost (${reason})`);
    scheduleRetry();
  };

  const scheduleRetry = () => {
    if (closed || !started || retryTimer !== null) return;
    ctx.log.info(`reconnecting to ${where} in ${backoff} ms`);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().catch((err: Error) => {
        ctx.log.warn(`tunnel to ${where}: ${err.message}`);
        if (cur) lost(cur, err.message);
        else scheduleRetry();
      });
    }, backoff);
    backoff = Math.min(30_000, backoff * 2);
  };

  const connect = async (): Promise<void> => {
    const reply = await clientHandshake(server.host, server.port, url.serverName, url.tunnelKey);
    if (closed) return;
    const c: NonNullable<typeof cur> = { pool: new PoolRegistry(() => refill(c)), session: null, dialing: 0, capacity: Math.min(p.min, reply.max), reply, sockets: new Set() };
    cur = c;
    refill(c);
    const control = await c.pool.takeId(CONTROL_ID, opts.handshakeTimeoutMs ?? 5000);
    if (control === null) {
      const reason = cur === c ? 'no control channel from the server' : 'closed';
      lost(c, reason);
      throw new Error(reason);
    }
    counters.mode = 2;
    const verify = reply.tls === '0' ? null : {
      role: 'client' as const,
      peerFingerprint: (s: Socket) => {
        const raw = (s as tls.TLSSocket).getPeerCertificate?.()?.raw;
        return raw ? certFingerprint(raw) : null;
      },
    };
    c.session = new TunnelSession({
      url, env, pool: c.pool, control, side: reply.flow === '-' ? 'dial' : 'listen', listenAt: url.targets[0]!,
      verify, pingMs: opts.pingMs, onClose: (reason) => lost(c, reason),
    });
    backoff = opts.retryMs ?? 1000;
    ctx.log.info(`tunnel to ${where} up (flow ${reply.flow}, tls ${reply.tls})`);
    await c.session.start();
  };

  return {
    async start() {
      await connect();
      started = true;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (cur) lost(cur, 'instance stopped');
      for (const s of [...env.live]) s.destroy();
      dialer.close();
    },
    address: () => cur?.session?.address() ?? null,
    metrics: () => ({ ...counters.snapshot(cur?.pool.size ?? 0), ping: cur?.session?.control.rtt ?? 0 }),
    poolStats: () => {
      const s = cur?.pool.poolStats() ?? { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };
      return { created: past.created + s.created, reused: past.reused + s.reused, idle: s.idle, hits: past.hits + s.hits, misses: past.misses + s.misses };
    },
  };
}
