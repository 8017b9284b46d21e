import { z } from 'zod';

/**
 * The NodePass v1.14 master API's bodies (PROTOCOLS.md §1.2), field order as NodePass serializes
 * them. Request schemas check the fields' types after goDecode; all of them feed /openapi.json.
 */

const int64 = (description: string) => z.int().meta({ format: 'int64', description });
const str = (description: string) => z.string().describe(description);

export const NpPeer = z.object({
  sid: str('Service ID'),
  type: str('Service type'),
  alias: str('Service alias'),
});

export const NpMeta = z.object({
  peer: NpPeer,
  tags: z.record(z.string(), z.string()).describe('Key-value tags'),
});

export const NpInstance = z.object({
  id: str('Unique identifier (8 hex digits, or ******** for the API key)'),
  alias: str('Instance alias'),
  type: z.enum(['client', 'server', '']).describe('Type of instance ("" for the API key entry)'),
  status: z.enum(['running', 'stopped', 'error', '']).describe('Instance status ("" for the API key entry)'),
  url: str('Command string or API Key'),
  config: str('Instance configuration URL (every default filled in); the master ID for the API key entry'),
  restart: z.boolean().describe('Restart policy'),
  meta: NpMeta,
  mode: z.int().describe('Instance mode'),
  ping: z.int().describe('TCPing latency'),
  pool: z.int().describe('Pool active count'),
  tcps: z.int().describe('TCP connection count'),
  udps: z.int().describe('UDP connection count'),
  tcprx: int64('TCP received bytes'),
  tcptx: int64('TCP transmitted bytes'),
  udprx: int64('UDP received bytes'),
  udptx: int64('UDP transmitted bytes'),
});
export type NpInstance = z.infer<typeof NpInstance>;

export const CreateInstanceRequest = z.object({
  alias: str('Instance alias').optional(),
  url: str('Command string(scheme://host:port/host:port)'),
});

export const NP_ACTIONS = ['start', 'stop', 'restart', 'reset'] as const;

/** Peer fields left out of a PATCH become "" (the whole peer is replaced, as NodePass does). */
export const PeerPatch = z.object({
  sid: str('Service ID').default(''),
  type: str('Service type').default(''),
  alias: str('Service alias').default(''),
});

export const MetaPatch = z.object({
  peer: PeerPatch.optional().describe('Replaces the peer'),
  tags: z.record(z.string(), z.string()).optional().describe('Key-value tags; replaces the whole map'),
});

export const UpdateInstanceRequest = z.object({
  alias: str('Instance alias (an empty alias is ignored)').optional(),
  // Any string decodes; an unknown one is answered with 400 "Invalid action: X".
  action: z.string().meta({ enum: [...NP_ACTIONS], description: 'Action for the instance' }).optional(),
  restart: z.boolean().describe('Instance restart policy').optional(),
  meta: MetaPatch.optional(),
});

export const PutInstanceRequest = z.object({
  url: str('New command string(scheme://host:port/host:port)'),
});

export const MasterInfo = z.object({
  mid: str('Master ID'),
  alias: str('Master alias'),
  os: str('Operating system'),
  arch: str('System architecture'),
  cpu: z.int().describe('CPU usage percentage (-1 when unknown)'),
  mem_total: int64('Total memory in bytes'),
  mem_used: int64('Used memory in bytes'),
  swap_total: int64('Total swap space in bytes'),
  swap_used: int64('Used swap space in bytes'),
  netrx: int64('Network received bytes'),
  nettx: int64('Network transmitted bytes'),
  diskr: int64('Disk read bytes'),
  diskw: int64('Disk write bytes'),
  sysup: int64('System uptime in seconds'),
  ver: str('NodePass version (here: the RelayDesk version)'),
  name: str('Hostname'),
  uptime: int64('API uptime in seconds'),
  log: str('Log level'),
  tls: str('TLS code'),
  crt: str('Certificate path'),
  key: str('Private key path'),
});
export type MasterInfo = z.infer<typeof MasterInfo>;

export const UpdateMasterAliasRequest = z.object({
  alias: str('Master alias'),
});

export const TCPingResult = z.object({
  target: str('Target address'),
  connected: z.boolean().describe('Is connected'),
  latency: int64('Latency in milliseconds'),
  error: z.string().nullable().describe('Error message'),
});
export type TCPingResult = z.infer<typeof TCPingResult>;

export const ErrorBody = z.object({ error: str('What went wrong') });

/** One SSE frame's data (`event: instance`). */
export const InstanceEvent = z.object({
  type: z.enum(['initial', 'create', 'update', 'delete', 'log', 'shutdown']).describe('Event type'),
  time: str('Event time (RFC 3339 with nanoseconds)'),
  instance: NpInstance.nullable().describe('The instance (null for shutdown)'),
  logs: str('The log line for type "log", else ""'),
});
export type InstanceEvent = z.infer<typeof InstanceEvent>;

/** The components of /openapi.json, by name. */
export const NP_COMPONENTS = {
  Instance: NpInstance, Meta: NpMeta, Peer: NpPeer, CreateInstanceRequest, UpdateInstanceRequest,
  PutInstanceRequest, MetaPatch, PeerPatch, MasterInfo, UpdateMasterAliasRequest, TCPingResult,
  Error: ErrorBody, InstanceEvent,
} as const;
