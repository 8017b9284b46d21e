import { z } from 'zod';

/**
 * A NodePass-style tunnel end (PROTOCOLS.md §1.3): `server://[key@]host:port/target[,…]?…` or
 * `client://…`. The engine validates the URL (an invalid one is refused with E_CONFIG_INVALID naming
 * the part that is wrong) and runs it as given; `Instance.tunnel.config` shows it with every default.
 */
export const NodePassSpec = z.object({
  type: z.literal('nodepass'),
  url: z.string().trim().min(1).max(16 * 1024).refine((u) => /^(server|client):\/\//.test(u), {
    message: 'expected a server:// or client:// URL',
  }),
});
export type NodePassSpec = z.infer<typeof NodePassSpec>;

/** Pool figures of a dual-end tunnel (all zero for single-end). */
export const TunnelPoolStats = z.object({
  /** Pool connections established since the instance started. */
  created: z.number(),
  /** Sessions that took a ready pool connection. */
  reused: z.number(),
  /** Ready connections now. */
  idle: z.number(),
  hits: z.number(),
  misses: z.number(),
});
export type TunnelPoolStats = z.infer<typeof TunnelPoolStats>;

/**
 * Live figures of a tunnel instance, named as NodePass's instance fields. Byte counters are
 * cumulative across restarts (persisted) until resetInstanceTraffic.
 */
export const TunnelView = z.object({
  role: z.enum(['server', 'client']),
  /** The URL with every default filled in (NodePass's `config`). */
  config: z.string(),
  /** Resolved run mode: server 1 reverse / 2 forward; client 1 single-end / 2 dual-end; 0 before start. */
  mode: z.number().int(),
  /** Control-channel round trip in ms (dual-end), 0 when unknown. */
  ping: z.number(),
  /** Idle pool connections now. */
  pool: z.number().int(),
  tcps: z.number().int(),
  udps: z.number().int(),
  /** Bytes from users towards targets (TCP). */
  tcprx: z.number(),
  /** Bytes from targets back to users (TCP). */
  tcptx: z.number(),
  udprx: z.number(),
  udptx: z.number(),
  poolStats: TunnelPoolStats,
});
export type TunnelView = z.infer<typeof TunnelView>;

const MetaText = z.string().max(256);

/** Free-form labels of an instance (NodePass `meta`): the peer it pairs with and tags. */
export const InstanceMeta = z.object({
  peer: z.object({ sid: MetaText.default(''), type: MetaText.default(''), alias: MetaText.default('') })
    .default({ sid: '', type: '', alias: '' }),
  tags: z.record(z.string().min(1).max(256), MetaText).default({}),
});
export type InstanceMeta = z.infer<typeof InstanceMeta>;
export const EMPTY_META: InstanceMeta = { peer: { sid: '', type: '', alias: '' }, tags: {} };
