import { z } from 'zod';
import { LogLevel } from './common';
import { RouteSettings } from './route';

/**
 * The NodePass-compatible master API on the control API server (PROTOCOLS.md §1.2), at
 * `<prefix>/v1`. The engine generates `key` and `mid` when they are null.
 */
export const MasterApiSettings = z.object({
  /** @default true */
  enabled: z.boolean().default(true),
  /** Path before `/v1`; read when the server starts. @default "/api" */
  prefix: z.string().regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'expected a path such as /api').default('/api'),
  /** The `X-API-Key` value (32 hex digits). @default null (generated) */
  key: z.string().regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex digits').nullable().default(null),
  /** Master id reported by /info (16 hex digits). @default null (generated) */
  mid: z.string().regex(/^[0-9a-f]{16}$/).nullable().default(null),
  /** Master alias reported by /info. @default "" */
  alias: z.string().max(256).default(''),
});
export type MasterApiSettings = z.infer<typeof MasterApiSettings>;

/** Engine-wide settings, persisted in the store. */
export const Settings = z.object({
  route: RouteSettings.default(RouteSettings.parse({})),
  /** Minimum level kept in the log ring and streamed. @default "info" */
  logLevel: LogLevel.default('info'),
  masterApi: MasterApiSettings.default(MasterApiSettings.parse({})),
});
export type Settings = z.infer<typeof Settings>;

/** Top-level keys replace the current value; omitted keys are kept. */
export const SettingsPatch = z.object({
  route: RouteSettings.optional(),
  logLevel: LogLevel.optional(),
  masterApi: MasterApiSettings.optional(),
});
export type SettingsPatch = z.input<typeof SettingsPatch>;

export const EngineInfo = z.object({
  version: z.string(),
  protocol: z.number(),
  pid: z.number(),
  dataDir: z.string(),
  startedAt: z.number(),
  platform: z.string(),
  arch: z.string(),
  node: z.string(),
  /** Whether the native splice data path is loaded. */
  nativeRelay: z.boolean(),
});
export type EngineInfo = z.infer<typeof EngineInfo>;
