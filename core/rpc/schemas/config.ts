import { z } from 'zod';
import { Id } from './common';
import { InstanceName, InstanceSpec } from './instance';
import { InstanceMeta } from './tunnel';
import { ProfileName, ProfileSpec } from './profile';
import { SettingsPatch } from './settings';

/** One outbound profile in a configuration file. Matched by `id`, else by `name`. */
export const ConfigProfile = z.object({ id: Id.optional(), name: ProfileName, spec: ProfileSpec });

/** One instance in a configuration file. Matched to existing instances by `id`, else by `name`. */
export const ConfigInstance = z.object({
  id: Id.optional(),
  name: InstanceName,
  /** @default true */
  autoStart: z.boolean().default(true),
  spec: InstanceSpec,
  /** Peer and tags; omitted = keep the current labels (none for a new instance). */
  meta: InstanceMeta.optional(),
});

/**
 * The declarative configuration file (`relaydesk serve --config FILE`, `relaydesk export`).
 * Validated with the same schemas as the RPC. Instances listed are created or updated;
 * instances not listed are left as they are unless `prune` is true.
 */
export const ConfigFile = z.object({
  $schema: z.string().optional(),
  /** Format version. @default 1 */
  version: z.literal(1).default(1),
  settings: SettingsPatch.optional(),
  /** Outbound profiles; their ids are outbound tags usable in `settings.route`. @default [] */
  profiles: z.array(ConfigProfile).default([]),
  /** @default [] */
  instances: z.array(ConfigInstance).default([]),
  /** Delete instances and profiles that the file does not list. @default false */
  prune: z.boolean().default(false),
}).strict();
export type ConfigFile = z.infer<typeof ConfigFile>;

export const ApplyConfigResult = z.object({
  created: z.array(z.string()),
  updated: z.array(z.string()),
  deleted: z.array(z.string()),
});
export type ApplyConfigResult = z.infer<typeof ApplyConfigResult>;
