import { readFileSync } from 'node:fs';
import type { InstanceContext } from '../../../adapter';
import type { RelayUser, VlessInboundSpec } from '../../../rpc';
import type { FallbackHandler } from '../fallback';
import type { VlessRunner } from '../runner';
import { MonitorFigures } from './figures';
import { ConnectionCounter, MemoryPools } from './pools';
import { MonitorServer, type MonitorServerOptions, type PerformanceConfig } from './server';

/** A monitor API for one relay: install `handler` as its fallback; close() ends every client. */
export interface VlessMonitor {
  readonly handler: FallbackHandler;
  start(): void;
  close(): void;
}

/** What a monitor reads: the relay, its spec and context, and the connection counter fed by its relay. */
export interface VlessMonitorTarget {
  /** Per-user live figures. */
  runner: Pick<VlessRunner, 'users'>;
  /** Read on every request (users: emails and connection limits). */
  spec: VlessInboundSpec;
  /** accounting: the engine's collector (instance speeds and totals, per-connection speeds). */
  ctx: Pick<InstanceContext, 'instanceId' | 'accounting'>;
  /** Fed by the relay's wrapped ctx.relay (connection_pool). */
  connections: ConnectionCounter;
}

/** A monitor (started separately) for `target`; `startedAt` is the relay's start (uptime, timestamps). */
export function createVlessMonitor(target: VlessMonitorTarget, opts: MonitorServerOptions = {}, startedAt = Date.now()): VlessMonitor {
  const figures = new MonitorFigures({
    instanceId: target.ctx.instanceId, accounting: target.ctx.accounting ?? null,
    users: () => target.runner.users(), specUsers: () => target.spec.users,
    connections: target.connections, memory: new MemoryPools(),
  }, startedAt, opts.historySeconds ?? 60);
  return new MonitorServer(figures, performanceConfig(), opts);
}

/**
 * Builds the relay with `build` (given a context whose relay is counted for connection_pool) and
 * returns it with the monitor API as its default fallback: setFallbackHandler(null) restores the
 * monitor, which answers 404 for unknown paths. The monitor's timers run from start() to close()
 * when spec.fallback is "monitor". The runner's own methods are overridden in place (not wrapped
 * in a new object) so that whatever else VlessRunner offers stays as it is.
 */
export function withMonitor(spec: VlessInboundSpec, ctx: InstanceContext, build: (ctx: InstanceContext) => VlessRunner): VlessRunner {
  const connections = new ConnectionCounter(ctx.tunnelPools?.bind(ctx));
  const runner = build({ ...ctx, relay: connections.wrap(ctx.relay) });
  const base = {
    start: runner.start.bind(runner), close: runner.close.bind(runner),
    setFallbackHandler: runner.setFallbackHandler.bind(runner), setUsers: runner.setUsers.bind(runner),
  };
  // setUsers changes the users live; the monitor reads emails and limits from the current list.
  const current = { ...spec };
  let monitor: VlessMonitor | null = null;
  let custom: FallbackHandler | null = null;
  Object.assign(runner, {
    async start() {
      await base.start();
      if (monitor || spec.fallback !== 'monitor') return;
      monitor = createVlessMonitor({ runner, spec: current, ctx, connections });
      monitor.start();
      if (custom === null) base.setFallbackHandler(monitor.handler);
    },
    async close() {
      monitor?.close();
      await base.close();
    },
    setFallbackHandler(fn: FallbackHandler | null) {
      custom = fn;
      base.setFallbackHandler(fn ?? monitor?.handler ?? null);
    },
    setUsers(users: readonly RelayUser[]) {
      current.users = [...users];
      return base.setUsers(users);
    },
  } satisfies Partial<VlessRunner>);
  return runner;
}

/**
 * Our relay's real data-path settings in the document's /api/performance shape: buffer_size =
 * the most libuv reads from a socket at once (64 KiB); TCP_NODELAY is set on accepted sockets;
 * the socket buffers are the OS defaults (Node cannot set them): Linux's tcp_rmem/tcp_wmem
 * default, 0 where the OS does not say; stats_batch_size 0: bytes are sampled by the collector
 * once a tick, never batched by size.
 */
function performanceConfig(): PerformanceConfig {
  return {
    buffer_size: 65536, tcp_nodelay: true,
    tcp_recv_buffer: procDefault('/proc/sys/net/ipv4/tcp_rmem'), tcp_send_buffer: procDefault('/proc/sys/net/ipv4/tcp_wmem'),
    stats_batch_size: 0,
  };
}

/** The middle (default) figure of a Linux "min default max" sysctl, 0 when unavailable. */
function procDefault(path: string): number {
  try {
    const n = Number(readFileSync(path, 'utf8').trim().split(/\s+/)[1]);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}
