import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import type { ConnMeta, Outbound } from '../adapter';
import { LogBus } from '../log/logger';
import { createDirectOutbound } from '../outbound/direct';
import { createBlockOutbound } from '../outbound/block';
import { createRelay, createRouter, type EngineRelay } from '../route';
import { TcpSession } from '../route/tcp-session';
import { RouteSettings } from '../rpc';
import { StatsRecorder } from './route-stats-recorder';

/** Kinds of handles a route test must give back: sockets, servers, UDP sockets, timers. */
const WATCHED = new Set(['TCPSocketWrap', 'TCPServerWrap', 'TCPWrap', 'UDPWrap', 'Timeout']);

function countHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) if (WATCHED.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Open sockets of the process (Linux): the native relay and front hold theirs outside libuv. */
function countSocketFds(): number {
  if (process.platform !== 'linux') return 0;
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while listing (the readdir descriptor itself)
    }
  }
  return n;
}

function excess(baseline: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [kind, n] of countHandles()) if (n > (baseline.get(kind) ?? 0)) out.push(`${n - (baseline.get(kind) ?? 0)} ${kind}`);
  const fds = countSocketFds() - (baseline.get(SOCKET_FDS) ?? 0);
  if (fds > 0) out.push(`${fds} socket descriptors`);
  return out;
}

const SOCKET_FDS = 'socket fds';

/**
 * Snapshot of open sockets/servers/timers by kind; `check()` fails when some kind has more than
 * at the snapshot (after giving closes up to `graceMs` to settle).
 */
export function leakGuard(graceMs = 1000): { check(): Promise<void> } {
  const baseline = countHandles();
  baseline.set(SOCKET_FDS, countSocketFds());
  return {
    async check() {
      const until = Date.now() + graceMs;
      while (excess(baseline).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      const left = excess(baseline);
      if (left.length > 0) throw new Error(`leaked handles: ${left.join(', ')}`);
    },
  };
}

export async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export function testMeta(destination: { host: string; port: number }, over: Partial<ConnMeta> = {}): ConnMeta {
  return {
    id: 't1', instanceId: 'inst', inbound: 'test', network: 'tcp',
    source: { address: '127.0.0.1', port: 40000 }, destination, user: null, ...over,
  };
}

/** Reads a socket to its end (resuming it); resolves with the byte count, sha256 and the first 64 KiB. */
export function drain(socket: Socket): Promise<{ bytes: number; sha256: string; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const keep: Buffer[] = [];
    let bytes = 0;
    socket.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
      if (bytes <= 1 << 16) keep.push(c);
    });
    socket.once('end', () => resolve({ bytes, sha256: hash.digest('hex'), data: Buffer.concat(keep) }));
    socket.once('error', reject);
    socket.resume();
  });
}

/** Resolves when the peer has gone: this socket read its end (FIN) or closed. Resumes it. */
export function whenPeerGone(socket: Socket): Promise<void> {
  if (socket.closed || socket.readableEnded) return Promise.resolve();
  return new Promise((r) => {
    socket.once('end', () => r());
    socket.once('close', () => r());
    socket.resume();
  });
}

/** Route settings that send everything direct. */
export const DIRECT_SETTINGS = RouteSettings.parse({ mode: 'direct' });

export function builtinOutbounds(): Map<string, Outbound> {
  return new Map<string, Outbound>([['direct', createDirectOutbound()], ['block', createBlockOutbound()]]);
}

/**
 * A relayed connection on loopback: user ⇄ (front server: `client`) ⇄ relay ⇄ (`remote`, dialed
 * by the real direct outbound) ⇄ target server (`target`). `target` and `user` start paused.
 */
export interface RelayRig {
  user: Socket;
  client: Socket;
  remote: Socket;
  target: Socket;
  relay: EngineRelay;
  stats: StatsRecorder;
  logs: LogBus;
  /** Destroys every socket, closes both servers and the relay. */
  close(): Promise<void>;
}

export async function relayRig(opts: { idleTimeoutMs?: number; head?: Buffer; forceNative?: boolean } = {}): Promise<RelayRig> {
  const logs = new LogBus({ level: 'debug', capacity: 500 });
  const stats = new StatsRecorder();
  const outbounds = builtinOutbounds();
  const router = createRouter({ settings: () => DIRECT_SETTINGS, outbound: (t) => outbounds.get(t), log: logs.logger('route') });
  const relay = createRelay({ router, stats, log: logs.logger('relay') });
  let onTarget!: (s: Socket) => void;
  const targetP = new Promise<Socket>((r) => (onTarget = r));
  const targetServer = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => onTarget(s));
  let onClient!: (s: Socket) => void;
  const clientP = new Promise<Socket>((r) => (onClient = r));
  const frontServer = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => onClient(s));
  const targetPort = await listen(targetServer);
  const frontPort = await listen(frontServer);
  const user = net.connect({ host: '127.0.0.1', port: frontPort, allowHalfOpen: true });
  user.pause();
  const client = await clientP;
  const meta = testMeta({ host: '127.0.0.1', port: targetPort });
  const decision = await router.route(meta);
  const remote = await decision.outbound.dialTcp(meta);
  const target = await targetP;
  // Test ends reset or destroy these on purpose; the assertions look at the data and the stats.
  for (const s of [user, target]) s.on('error', () => undefined);
  const relayOpts = { idleTimeoutMs: opts.idleTimeoutMs ?? 10_000 };
  if (opts.forceNative) {
    // The session as relay.tcp builds it when the native relay is loaded (fallback included).
    const session = new TcpSession(meta, decision, client, remote, relayOpts, { log: logs.logger('relay'), native: true, onClosed: (c) => stats.closed(c) });
    stats.opened(session);
    session.start(opts.head);
  } else {
    relay.tcp(meta, decision, client, remote, relayOpts, opts.head);
  }
  return {
    user, client, remote, target, relay, stats, logs,
    async close() {
      relay.closeAll('test done');
      for (const s of [user, client, remote, target]) s.destroy();
      await Promise.all([closeServer(targetServer), closeServer(frontServer)]);
    },
  };
}
