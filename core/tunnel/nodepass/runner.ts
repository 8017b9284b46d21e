import type { InstanceContext } from '../../adapter';
import type { NodePassUrl } from '../../codec/nodepass-url';
import { type DualClientOptions, createDualEndClient } from './client-dual';
import { canListen, createNodePassServer } from './server';
import { createSingleEndClient } from './single-end';
import type { NodePassRunner, PoolStats, TunnelMetrics } from './types';

/**
 * The runner for any NodePass instance URL: server:// → the server end (its mode chosen at start);
 * client:// mode 1 → single-end, mode 2 → dual-end, mode 0 → single-end when this machine can
 * listen on the tunnel address (checked at start), else dual-end.
 */
export function createNodePassRunner(url: NodePassUrl, ctx: InstanceContext, opts: DualClientOptions = {}): NodePassRunner {
  if (url.role === 'server') return createNodePassServer(url, ctx, opts);
  if (url.params.mode === 1) return createSingleEndClient(url, ctx);
  if (url.params.mode === 2) return createDualEndClient(url, ctx, opts);
  let inner: NodePassRunner | null = null;
  const idle: PoolStats = { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };
  const none: TunnelMetrics = { mode: 0, ping: 0, pool: 0, tcps: 0, udps: 0, tcprx: 0, tcptx: 0, udprx: 0, udptx: 0 };
  return {
    async start() {
      const single = await canListen({ host: url.tunnel.host, port: url.tunnel.port });
      inner = single ? createSingleEndClient(url, ctx) : createDualEndClient(url, ctx, opts);
      await inner.start();
    },
    close: async () => inner?.close(),
    address: () => inner?.address() ?? null,
    metrics: () => inner?.metrics() ?? none,
    poolStats: () => inner?.poolStats() ?? idle,
  };
}
