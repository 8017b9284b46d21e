import { z } from 'zod';
import { ConfigFile, HostPort } from '../rpc';

/** The `$id` of the configuration file's JSON Schema. */
export const CONFIG_SCHEMA_ID = 'urn:relaydesk:config:1';

/** JSON Schema pattern equivalent to the HostPort check (host name, IPv4 or [IPv6], then :port). */
const HOST_PORT_PATTERN = '^(?:\\[[0-9a-fA-F:.]+\\]|[^\\s:\\[\\]/]+):\\d{1,5}$';

/**
 * The JSON Schema (draft 2020-12) of the configuration file, describing what may be written
 * (zod input types: defaulted keys are optional). Printed by `relaydesk schema`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigFile, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      // HostPort is a refinement, which JSON Schema cannot carry; a pattern gets editors close.
      if (ctx.zodSchema === HostPort) ctx.jsonSchema.pattern = HOST_PORT_PATTERN;
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: 'RelayDesk configuration file',
    description: 'Applied by `relaydesk serve --config FILE`; printed by `relaydesk export`.',
    ...rest,
  };
}
