import { z } from 'zod';
import { Id, LogLevel, Millis } from './common';

/** A live connection (TCP stream or UDP association) as `listConnections` reports it. */
export const Connection = z.object({
  id: z.string(),
  instanceId: z.string(),
  network: z.enum(['tcp', 'udp']),
  /** The inbound protocol that accepted it: "socks5", "http", ... */
  inbound: z.string(),
  /** Client address "ip:port". */
  source: z.string(),
  /** Requested destination "host:port" (host as the client gave it). */
  destination: z.string(),
  /** Authenticated user, if any. */
  user: z.string().nullable(),
  /** The rule that matched, e.g. "domain_suffix(example.com)", "final", "mode(global)". */
  rule: z.string(),
  outbound: z.string(),
  /** Bytes client → destination and back. */
  upload: z.number(),
  download: z.number(),
  /** Bytes per second over the last tick. */
  uploadSpeed: z.number(),
  downloadSpeed: z.number(),
  startedAt: Millis,
});
export type Connection = z.infer<typeof Connection>;

export const ListConnectionsInput = z.object({ instanceId: Id.optional() }).default({});
export const CloseAllConnectionsInput = z.object({ instanceId: Id.optional() }).default({});

/** Traffic of one scope (an instance, an outbound) in a tick. */
export const TrafficCounters = z.object({
  /** Bytes per second in the last tick. */
  up: z.number(),
  down: z.number(),
  /** Cumulative bytes since the counters were last reset (persisted). */
  totalUp: z.number(),
  totalDown: z.number(),
  /** Live connections. */
  connections: z.number(),
});
export type TrafficCounters = z.infer<typeof TrafficCounters>;

/** Pushed once a second as `CoreEvents.stats`. */
export const StatsTick = TrafficCounters.extend({
  time: Millis,
  instances: z.record(z.string(), TrafficCounters),
  outbounds: z.record(z.string(), TrafficCounters),
  /** Handshakes rejected as garbage, truncated or stalled, since start. */
  badHandshakes: z.number(),
});
export type StatsTick = z.infer<typeof StatsTick>;

export const HistoryRange = z.enum(['1h', '24h', '90d']);
export type HistoryRange = z.infer<typeof HistoryRange>;

export const HistoryInput = z.object({
  /** 1h at 1 s, 24h at 1 min, 90d at 1 h resolution. */
  range: HistoryRange,
  /** "total" or "instance:<id>". @default "total" */
  scope: z.string().max(80).default('total'),
});

/** Bytes moved per bucket: points are [bucket start ms, up bytes, down bytes]. */
export const History = z.object({
  range: HistoryRange,
  scope: z.string(),
  /** Bucket length in seconds. */
  resolution: z.number(),
  points: z.array(z.tuple([Millis, z.number(), z.number()])),
});
export type History = z.infer<typeof History>;

export const LogEntry = z.object({
  seq: z.number().int(),
  time: Millis,
  level: LogLevel,
  /** "engine", "instance:<id>", "api", ... */
  source: z.string(),
  message: z.string(),
});
export type LogEntry = z.infer<typeof LogEntry>;

export const GetLogsInput = z.object({
  /** @default 200 */
  limit: z.number().int().min(1).max(5000).default(200),
  /** Minimum level. @default "debug" */
  level: LogLevel.default('debug'),
  source: z.string().optional(),
  /** Only entries with seq greater than this. */
  afterSeq: z.number().int().optional(),
}).default({ limit: 200, level: 'debug' });
