import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import type { Outbound } from '../adapter';
import { encodeRequest, type VlessRequestInit } from '../codec/vless';
import { createVlessInbound, type VlessRunner } from '../inbound/vless';
import { LogBus } from '../log/logger';
import { createBlockOutbound } from '../outbound/block';
import { createDirectOutbound } from '../outbound/direct';
import { createRelay, createRouter, type EngineRelay } from '../route';
import type { LookupFn } from '../route/lookup-cache';
import { RouteSettings, VlessInboundSpec, parseHostPort, type RelayUser } from '../rpc';
import { StatsCollector } from '../stats/collector';
import { Store } from '../store/store';
import { tempDirs } from './store-temp';

export const ALICE = '0b5e8a1c-3f0d-4c59-9a8e-2d2f0e6c7a11';
export const BOB = '7f3c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

/** A user entry with every limit off, overridden by `over`. */
export function relayUser(name: string, uuid: string, over: Partial<RelayUser> = {}): RelayUser {
  return {
    name, uuid, email: null, enabled: true, expiresAt: null, quotaBytes: null, maxConnections: null, maxIps: null,
    upLimitBps: null, downLimitBps: null, resetDay: null, ...over,
  };
}

/** A VLESS relay on loopback port 0 wired to the real router, relay, stats collector and store. */
export interface VlessRig {
  runner: VlessRunner;
  host: string;
  port: number;
  collector: StatsCollector;
  store: Store;
  relay: EngineRelay;
  logs: LogBus;
  dataDir: string;
  /** Log lines at `level` or above, as "source: message". */
  lines(level?: 'debug' | 'info' | 'warn'): string[];
  /** Closes the runner, the relay, the collector and the store (the data dir stays until cleanup). */
  close(): Promise<void>;
}

export interface VlessRigOptions {
  /** Reuse a data dir (counters persisted by an earlier rig). */
  dataDir?: string;
  /** Collector tick period. @default 100 */
  tickMs?: number;
  instanceId?: string;
  /** RouteSettings input. @default rule mode, no LAN bypass, everything direct */
  route?: unknown;
  /** Replaces the router's resolver (ip_cidr rules). */
  lookup?: LookupFn;
}

const dirs = tempDirs('relaydesk-vless-in-');

/** Removes every data dir the rigs made (call in afterAll/afterEach). */
export function cleanupVlessRigDirs(): void {
  dirs.cleanup();
}

/** `spec` is VlessInboundSpec input; listen defaults to 127.0.0.1:0. */
export async function startVlessRig(spec: Record<string, unknown>, opts: VlessRigOptions = {}): Promise<VlessRig> {
  const dataDir = opts.dataDir ?? dirs.make();
  const instanceId = opts.instanceId ?? 'relay1';
  const store = Store.open(dataDir);
  const logs = new LogBus({ level: 'debug', capacity: 5000 });
  const collector = new StatsCollector({ store, log: logs.logger('stats'), intervalMs: opts.tickMs ?? 100 });
  collector.start();
  const outbounds = new Map<string, Outbound>([
    ['direct', createDirectOutbound({ log: logs.logger('direct'), connectTimeoutMs: 3000 })],
    ['block', createBlockOutbound()],
  ]);
  const settings = RouteSettings.parse(opts.route ?? { mode: 'rule', lanBypass: false });
  const router = createRouter({ settings: () => settings, outbound: (t) => outbounds.get(t), log: logs.logger('route'), lookup: opts.lookup });
  const relay = createRelay({ router, stats: collector, log: logs.logger('relay') });
  let n = 0;
  const ctx = { instanceId, router, relay, stats: collector, accounting: collector, log: logs.logger(`instance:${instanceId}`), nextConnId: () => `v${++n}` };
  const runner = createVlessInbound(VlessInboundSpec.parse({ type: 'vless', listen: '127.0.0.1:0', ...spec }), ctx);
  try {
    await runner.start();
  } catch (err) {
    collector.close();
    store.close();
    throw err;
  }
  const hp = parseHostPort(runner.address()!)!;
  return {
    runner, host: hp.host, port: hp.port, collector, store, relay, logs, dataDir,
    lines: (level = 'info') => logs.entries({ limit: 5000, level }).map((e) => `${e.source}: ${e.message}`),
    async close() {
      await runner.close();
      relay.closeAll('test done');
      collector.close();
      store.close();
    },
  };
}

/** The relay's byte counters of a user (as users() reports them). */
export function userBytes(rig: VlessRig, name: string): { up: number; down: number } {
  const u = rig.runner.users().find((x) => x.name === name);
  if (!u) throw new Error(`no user ${name}`);
  return { up: u.up, down: u.down };
}

/** Polls `cond` every 20 ms until true; rejects after `timeoutMs` with `what`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw client connection to the relay (plain TCP, TLS or WebSocket) with everything it received. */
export interface RawClient {
  socket: Socket | null;
  /** Sends bytes (a binary message over WebSocket). */
  write(b: Buffer): void;
  end(): void;
  destroy(): void;
  /** Every byte received so far. */
  received(): Buffer;
  /** Resolves when the connection is closed (by either side). */
  closed: Promise<void>;
  /** Resolves once `n` bytes have arrived; rejects if closed before or after `timeoutMs`. */
  waitBytes(n: number, timeoutMs?: number): Promise<Buffer>;
}

export interface RawClientOptions {
  /** Bind the client socket here (e.g. "127.0.0.2" as another source IP). */
  localAddress?: string;
  tls?: boolean;
  /** WebSocket path (the transport is WebSocket when set). */
  wsPath?: string;
}

/** Connects to the relay and resolves once connected (TLS: after the handshake; WS: once open). */
export function rawClient(port: number, opts: RawClientOptions = {}): Promise<RawClient> {
  const chunks: Buffer[] = [];
  let size = 0;
  const waiters = new Set<() => void>();
  let done = false;
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const got = (b: Buffer) => {
    chunks.push(b);
    size += b.length;
    wake();
  };
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const finish = () => {
    done = true;
    closedResolve();
    wake();
  };
  const common = (write: (b: Buffer) => void, end: () => void, destroy: () => void, socket: Socket | null): RawClient => ({
    socket, write, end, destroy, closed,
    received: () => Buffer.concat(chunks),
    waitBytes(n, timeoutMs = 5000) {
      return new Promise<Buffer>((resolve, reject) => {
        const check = () => {
          if (size >= n) {
            cleanup();
            resolve(Buffer.concat(chunks));
          } else if (done) {
            cleanup();
            reject(new Error(`closed after ${size} of ${n} bytes`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${size} of ${n} bytes`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  });
  if (opts.wsPath !== undefined) {
    const scheme = opts.tls ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://127.0.0.1:${port}${opts.wsPath}`, { rejectUnauthorized: false, perMessageDeflate: false, localAddress: opts.localAddress });
    ws.on('message', (d: Buffer) => got(d));
    ws.on('close', finish);
    ws.on('error', () => finish());
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(common((b) => ws.send(b), () => ws.close(), () => ws.terminate(), null)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade answered ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }
  const socket: Socket = opts.tls
    ? tls.connect({ socket: net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress }), rejectUnauthorized: false, servername: 'localhost' })
    : net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
  socket.on('data', got);
  socket.on('close', finish);
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve(common((b) => socket.write(b), () => socket.end(), () => socket.destroy(), socket)));
    socket.once('error', reject);
  });
}

/** A VLESS request header for `uuid` (TCP to 127.0.0.1:`port` unless `over` says otherwise). */
export function vlessHeader(uuid: string, port: number, over: Partial<VlessRequestInit> = {}): Buffer {
  return encodeRequest({ uuid, command: 'tcp', port, address: { type: 'ipv4', host: '127.0.0.1' }, ...over } as VlessRequestInit);
}

/** A loopback TCP echo server; `close()` destroys its sockets. */
export async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
