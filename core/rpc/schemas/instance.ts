import { z } from 'zod';
import { HostPort, Id, Millis } from './common';
import { InstanceMeta, NodePassSpec, TunnelView } from './tunnel';

/** A user of an inbound that requires authentication (SOCKS5 RFC 1929, HTTP Basic). */
export const ProxyUser = z.object({
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(255),
});

/** The local mixed proxy: SOCKS5 and HTTP on one port, protocol sniffed from the first byte. */
export const MixedSpec = z.object({
  type: z.literal('mixed'),
  /** @default "127.0.0.1:7890" */
  listen: HostPort.default('127.0.0.1:7890'),
  /** Accounts; empty means no authentication. @default [] */
  users: z.array(ProxyUser).default([]),
  /** Serve SOCKS5 UDP ASSOCIATE. @default true */
  udp: z.boolean().default(true),
  /** A client that has not finished its handshake by then is closed. @default 10000 */
  handshakeTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /** A relayed TCP connection with no bytes either way for this long is closed. @default 300000 */
  idleTimeoutMs: z.number().int().min(1000).max(86_400_000).default(300_000),
  /** A UDP association/NAT entry with no datagrams for this long is dropped. @default 60000 */
  udpIdleTimeoutMs: z.number().int().min(1000).max(3_600_000).default(60_000),
});
export type MixedSpec = z.infer<typeof MixedSpec>;

const Username = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 _ . -');
const Uuid = z.string().regex(/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/, 'expected a UUID');
const Limit = z.number().int().positive().nullable().default(null);

/** An account on a VLESS relay. Limits are null when unlimited. */
export const RelayUser = z.object({
  name: Username,
  /** The VLESS id (canonical 8-4-4-4-12 lowercase once stored). */
  uuid: Uuid,
  email: z.string().max(254).nullable().default(null),
  /** @default true */
  enabled: z.boolean().default(true),
  /** Refused from this time on (ms since epoch). @default null */
  expiresAt: z.number().int().nullable().default(null),
  /** Data quota in bytes (up + down) per period. @default null */
  quotaBytes: Limit,
  /** Concurrent connections. @default null */
  maxConnections: Limit,
  /** Distinct source IPs at once. @default null */
  maxIps: Limit,
  /** Bytes per second. @default null */
  upLimitBps: Limit,
  downLimitBps: Limit,
  /** Day of the month (1-28) the quota counter resets; null = only by hand. @default null */
  resetDay: z.number().int().min(1).max(28).nullable().default(null),
});
export type RelayUser = z.infer<typeof RelayUser>;

/** The VLESS relay (server): VLESS over TCP, TLS or WebSocket, TCP and UDP commands. */
export const VlessInboundSpec = z.object({
  type: z.literal('vless'),
  /** @default "0.0.0.0:8443" */
  listen: HostPort.default('0.0.0.0:8443'),
  /** @default {type: "tcp"} */
  transport: z.discriminatedUnion('type', [
    z.object({ type: z.literal('tcp') }),
    z.object({ type: z.literal('ws'), path: z.string().startsWith('/').max(2048).default('/') }),
  ]).default({ type: 'tcp' }),
  /** null = plaintext; certificate files, or a generated self-signed certificate. @default null */
  tls: z.object({
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** Names for the generated certificate. @default ["localhost"] */
    selfSignedNames: z.array(z.string().min(1)).default(['localhost']),
    alpn: z.array(z.string()).default([]),
  }).refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together', path: ['keyFile'] })
    .nullable().default(null),
  /** Serve VLESS UDP (command 2). @default true */
  udp: z.boolean().default(true),
  /** Non-VLESS first bytes on a plaintext TCP port: close, or serve the VLESS-Rust monitor API. @default "monitor" */
  fallback: z.enum(['none', 'monitor']).default('monitor'),
  /** @default 10000 */
  handshakeTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /** @default 300000 */
  idleTimeoutMs: z.number().int().min(1000).max(86_400_000).default(300_000),
  /** Accounts (managed by the users API as well). @default [] */
  users: z.array(RelayUser).default([]).superRefine((users, ctx) => {
    const names = new Set<string>();
    const ids = new Set<string>();
    users.forEach((u, i) => {
      const id = u.uuid.replace(/-/g, '').toLowerCase();
      if (names.has(u.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate user "${u.name}"` });
      if (ids.has(id)) ctx.addIssue({ code: 'custom', path: [i, 'uuid'], message: 'duplicate uuid' });
      names.add(u.name);
      ids.add(id);
    });
  }),
});
export type VlessInboundSpec = z.infer<typeof VlessInboundSpec>;

/**
 * What an instance runs. A discriminated union on `type`; later protocols add members here
 * (and a factory in core/engine/builtin.ts).
 */
export const InstanceSpec = z.discriminatedUnion('type', [MixedSpec, VlessInboundSpec, NodePassSpec]);
export type InstanceSpec = z.infer<typeof InstanceSpec>;
export type InstanceType = InstanceSpec['type'];

export const InstanceState = z.enum(['stopped', 'starting', 'running', 'stopping', 'failed']);
export type InstanceState = z.infer<typeof InstanceState>;

export const InstanceName = z.string().trim().min(1).max(128);

/** An instance as the engine reports it. */
export const Instance = z.object({
  id: Id,
  name: z.string(),
  /** Started when the engine starts. */
  autoStart: z.boolean(),
  spec: InstanceSpec,
  state: InstanceState,
  /** Why the instance is `failed` (or the last start failure). */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Bound address while running, e.g. "127.0.0.1:7890" (useful with port 0). */
  address: z.string().nullable(),
  startedAt: Millis.nullable(),
  /** Peer and tags (free-form labels). */
  meta: InstanceMeta,
  /** Live tunnel figures of a `nodepass` instance; null for other types. */
  tunnel: TunnelView.nullable(),
  createdAt: Millis,
  updatedAt: Millis,
});
export type Instance = z.infer<typeof Instance>;

export const CreateInstanceInput = z.object({
  /** Generated when absent. */
  id: Id.optional(),
  name: InstanceName,
  /** @default true */
  autoStart: z.boolean().default(true),
  spec: InstanceSpec,
  /** @default {peer: {sid: "", type: "", alias: ""}, tags: {}} */
  meta: InstanceMeta.optional(),
  /** Start right away. @default true */
  start: z.boolean().default(true),
});
export type CreateInstanceInput = z.input<typeof CreateInstanceInput>;

export const UpdateInstanceInput = z.object({
  id: Id,
  name: InstanceName.optional(),
  autoStart: z.boolean().optional(),
  /** Replaces the whole spec; a running instance restarts with it. */
  spec: InstanceSpec.optional(),
  /** Replaces peer and tags (no restart). */
  meta: InstanceMeta.optional(),
});
export type UpdateInstanceInput = z.input<typeof UpdateInstanceInput>;
