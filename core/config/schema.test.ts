import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_ID, configJsonSchema } from './schema';

describe('configJsonSchema', () => {
  it('describes the input form of the config file', () => {
    const s = configJsonSchema() as any;
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.$id).toBe(CONFIG_SCHEMA_ID);
    expect(s.title).toContain('RelayDesk');
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['$schema', 'version', 'settings', 'instances', 'prune']));
    // Defaulted keys may be omitted when writing a file.
    expect(s.required ?? []).not.toContain('instances');
    const spec = s.properties.instances.items.properties.spec;
    const mixed = (spec.oneOf ?? spec.anyOf)[0];
    expect(mixed.properties.type.const).toBe('mixed');
    expect(mixed.required).toEqual(['type']);
    expect(new RegExp(mixed.properties.listen.pattern).test('127.0.0.1:7890')).toBe(true);
    expect(new RegExp(mixed.properties.listen.pattern).test('[::1]:0')).toBe(true);
    expect(new RegExp(mixed.properties.listen.pattern).test('7890')).toBe(false);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
