import { z } from 'zod';
import { Id, Millis } from './common';

const Port = z.number().int().min(1).max(65535);
const Host = z.string().trim().min(1).max(253).regex(/^[^\s/?#@]+$/, 'expected a host name or IP address');
const Uuid = z.string().regex(/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/, 'expected a UUID');

/** TLS to the server. */
export const ProfileTls = z.object({
  /** Server name for SNI and verification. @default the server host when it is a name */
  sni: z.string().max(253).optional(),
  /** @default [] */
  alpn: z.array(z.string().min(1).max(64)).default([]),
  /** Accept any certificate (self-signed servers). @default false */
  insecure: z.boolean().default(false),
  /** Pin: "sha256:" + hex of the leaf certificate's DER (colons optional); checked even when insecure. */
  pinSha256: z.string().regex(/^sha256:[0-9a-fA-F:]{64,95}$/, 'expected sha256:<hex>').optional(),
});

export const ProfileTransport = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tcp') }),
  z.object({
    type: z.literal('ws'),
    /** @default "/" */
    path: z.string().startsWith('/').max(2048).default('/'),
    /** Host header. @default the server host (or sni) */
    host: z.string().max(253).optional(),
  }),
]);

/** A VLESS server (share link `vless://`). */
export const VlessProfileSpec = z.object({
  type: z.literal('vless'),
  host: Host,
  port: Port,
  uuid: Uuid,
  /** @default {type: "tcp"} */
  transport: ProfileTransport.default({ type: 'tcp' }),
  /** null = plaintext. @default null */
  tls: ProfileTls.nullable().default(null),
  /** Carry UDP (VLESS command 2). @default true */
  udp: z.boolean().default(true),
});
export type VlessProfileSpec = z.infer<typeof VlessProfileSpec>;

/** An upstream SOCKS5 proxy (for chaining). */
export const SocksProfileSpec = z.object({
  type: z.literal('socks'),
  host: Host,
  port: Port,
  username: z.string().min(1).max(255).optional(),
  password: z.string().min(1).max(255).optional(),
  /** Use UDP ASSOCIATE for UDP. @default true */
  udp: z.boolean().default(true),
}).refine((s) => (s.username === undefined) === (s.password === undefined), {
  message: 'username and password go together', path: ['password'],
});
export type SocksProfileSpec = z.infer<typeof SocksProfileSpec>;

export const ProfileSpec = z.discriminatedUnion('type', [VlessProfileSpec, SocksProfileSpec]);
export type ProfileSpec = z.infer<typeof ProfileSpec>;

export const Latency = z.object({
  /** TCP connect time to the server, ms. */
  connectMs: z.number().nullable(),
  /** Time of an HTTP request through the outbound (first response byte), ms. */
  httpMs: z.number().nullable(),
  /** Why a step failed (code + message), else null. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  testedAt: Millis,
});
export type Latency = z.infer<typeof Latency>;

/** A saved outbound profile; its `id` is its outbound tag in routing rules. */
export const Profile = z.object({
  id: Id,
  name: z.string(),
  spec: ProfileSpec,
  /** The subscription URL it came from, if any. */
  source: z.string().nullable(),
  latency: Latency.nullable(),
  createdAt: Millis,
  updatedAt: Millis,
});
export type Profile = z.infer<typeof Profile>;

export const ProfileName = z.string().trim().min(1).max(128);

export const CreateProfileInput = z.object({ id: Id.optional(), name: ProfileName, spec: ProfileSpec });
export const UpdateProfileInput = z.object({ id: Id, name: ProfileName.optional(), spec: ProfileSpec.optional() });

/** Import share links (one per line) or a subscription body (base64 or plain). */
export const ImportProfilesInput = z.object({ text: z.string().max(4 << 20) });
export const ImportSubscriptionInput = z.object({ url: z.url({ protocol: /^https?$/ }) });
export const ImportResult = z.object({
  created: z.array(Profile),
  /** Per link: what was ignored or approximated. */
  warnings: z.array(z.object({ line: z.number(), message: z.string() })),
  /** Lines that could not be imported. */
  errors: z.array(z.object({ line: z.number(), message: z.string() })),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const TestProfileInput = z.object({
  id: Id,
  /** Fetched through the outbound. @default "http://www.gstatic.com/generate_204" */
  url: z.url({ protocol: /^https?$/ }).optional(),
  /** @default 5000 */
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
});
