import { z } from 'zod';
import { HostPort, Id, Millis } from './common';

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

/**
 * What an instance runs. A discriminated union on `type`; later protocols add members here
 * (and a factory in core/engine/builtin.ts).
 */
export const InstanceSpec = z.discriminatedUnion('type', [MixedSpec]);
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
});
export type UpdateInstanceInput = z.input<typeof UpdateInstanceInput>;
