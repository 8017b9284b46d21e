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
import { DialBackoff, POOL_ADJUST_MS, PoolCapacity } from './pool-adapt';
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
  /** Period of the pool adjuster (shrinks an unused pool, closing the surplus idle connections). @default 2000 (POOL_ADJUST_MS) */
  poolAdjustMs?: number;
}

/**
 * Pool dials in flight at most. With refills started on every take and every successful dial, 8
 * in flight refill ~8 connections per round trip, while a burst cannot open hundreds of
 * handshakes at once on the server (NodePass dials one at a time).
 */
export const MAX_PARALLEL_DIALS = 8;

/** One handshake's worth of client state. */
interface Link {
  pool: PoolRegistry;
  session: TunnelSession | null;
  dialing: number;
  cap: PoolCapacity;
  backoff: DialBackoff;
  /** Set while waiting out a failed dial: no new dials until it fires. */
  retryTimer: NodeJS.Timeout | null;
  adjustTimer: NodeJS.Timeout;
  reply: HandshakeReply;
  sockets: Set<Socket>;
}

/**
 * A dual-end NodePass client (`client://` mode 2): the handshake with the server, a pool of
 * pre-dialed connections, the control channel on pool id 00000000, then flow "-" (dial the targets
 * for the server's users) or "+" (listen on the first target for users). start() rejects when the
 * first attempt fails (401 → E_AUTH_FAILED); after that a lost server is retried with backoff.
 *
 * The pool's capacity starts at `min` and adapts between `min` and the server's `max` (PoolCapacity:
 * doubles when sessions use it up, halves every `poolAdjustMs` while at least half of it sits unused,
 * closing the surplus idle connections, which the server then forgets too). It refills at once
 * whenever a connection is taken or dropped and after every successful dial (at most
 * MAX_PARALLEL_DIALS in flight); only a failed dial delays the next one (100 ms doubling to 1 s).
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
  let cur: Link | null = null;
  const past: PoolStats = { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };

  /** Resolves true once the connection is in the pool (or handed to a waiting session), false when it failed. */
  const dialPool = (c: Link): Promise<boolean> => new Promise((resolve) => {
    const raw = net.connect({ host: server.host, port: server.port, allowHalfOpen: true, noDelay: true });
    const sock: Socket = c.reply.tls === '0' ? raw : tls.connect({
      socket: raw, minVersion: 'TLSv1.3', rejectUnauthorized: c.reply.tls === '2', ca: opts.ca,
      servername: url.serverName !== 'none' ? url.serverName : undefined,
    });
    c.sockets.add(sock);
    sock.once('close', () => {
      c.sockets.delete(sock);
      resolve(false);
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
      resolve(true);
      c.pool.add(got.toString('hex', 0, 4), sock);
    };
    sock.on('data', onData);
  });

  const refill = (c: Link) => {
    if (cur !== c || closed || c.retryTimer !== null) return;
    while (c.pool.size + c.dialing < c.cap.capacity && c.dialing < MAX_PARALLEL_DIALS) {
      c.dialing++;
      void dialPool(c).then((ok) => {
        c.dialing--;
        if (ok) {
          c.backoff.succeeded();
          return refill(c);
        }
        if (cur !== c || closed || c.retryTimer !== null) return;
        // Retry a failed dial later rather than in a tight loop.
        c.retryTimer = setTimeout(() => {
          c.retryTimer = null;
          refill(c);
        }, c.backoff.failed());
      });
    }
  };

  const grew = (c: Link) => {
    if (ctx.log.enabled('debug')) ctx.log.debug(`pool capacity up to ${c.cap.capacity}`);
  };

  const adjust = (c: Link) => {
    const before = c.cap.capacity;
    const after = c.cap.tick(c.pool.size);
    if (after === before) return;
    const closedNow = c.pool.trim(c.pool.size - after);
    if (ctx.log.enabled('debug')) ctx.log.debug(`pool capacity down to ${after} (${closedNow} idle connections closed)`);
  };

  const newLink = (reply: HandshakeReply): Link => {
    const c: Link = {
      pool: new PoolRegistry({
        taken: (idle) => {
          if (c.cap.taken(idle)) grew(c);
          refill(c);
        },
        missed: () => {
          if (c.cap.missed()) grew(c);
          refill(c);
        },
        dropped: () => refill(c),
      }),
      session: null, dialing: 0, cap: new PoolCapacity(p.min, reply.max), backoff: new DialBackoff(), retryTimer: null,
      adjustTimer: setInterval(() => adjust(c), opts.poolAdjustMs ?? POOL_ADJUST_MS), reply, sockets: new Set(),
    };
    c.adjustTimer.unref();
    return c;
  };

  const lost = (c: Link, reason: string) => {
    if (cur !== c) return;
    cur = null;
    clearInterval(c.adjustTimer);
    if (c.retryTimer !== null) clearTimeout(c.retryTimer);
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
    const c = newLink(reply);
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
