import { z } from 'zod';
import { LogLevel } from './common';
import { RouteSettings } from './route';

/** Engine-wide settings, persisted in the store. */
export const Settings = z.object({
  route: RouteSettings.default(RouteSettings.parse({})),
  /** Minimum level kept in the log ring and streamed. @default "info" */
  logLevel: LogLevel.default('info'),
});
export type Settings = z.infer<typeof Settings>;

/** Top-level keys replace the current value; omitted keys are kept. */
export const SettingsPatch = z.object({
  route: RouteSettings.optional(),
  logLevel: LogLevel.optional(),
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
