import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { loadConfigFile, parseConfigText } from './load';

const dir = mkdtempSync(join(tmpdir(), 'relaydesk-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function invalid(text: string, name = 'c.json') {
  try {
    parseConfigText(text, name);
  } catch (err) {
    expect(isCoreError(err, 'E_CONFIG_INVALID')).toBe(true);
    return err as Error & { data?: any };
  }
  throw new Error('expected E_CONFIG_INVALID');
}

describe('loadConfigFile', () => {
  it('reads, validates and applies defaults', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, '\ufeff{ "instances": [{ "name": "p", "spec": { "type": "mixed", "listen": "127.0.0.1:0" } }] }');
    const cfg = loadConfigFile(path);
    expect(cfg).toMatchObject({ version: 1, prune: false, instances: [{ name: 'p', autoStart: true, spec: { type: 'mixed', listen: '127.0.0.1:0', udp: true } }] });
  });

  it('names a missing file', () => {
    const err = (() => { try { loadConfigFile(join(dir, 'nope.json')); } catch (e) { return e as Error; } })();
    expect(isCoreError(err, 'E_CONFIG_INVALID')).toBe(true);
    expect(err!.message).toBe(`cannot read config file ${join(dir, 'nope.json')}: no such file`);
  });

  it('reports bad JSON with file:line:column', () => {
    const err = invalid('{\n  "version": 1,\n  "instances": [,]\n}', '/etc/rd.json');
    expect(err.message).toBe("/etc/rd.json:3:17: invalid JSON: unexpected ',' (expected a value)");
    expect(err.data).toEqual({ line: 3, column: 17 });
    expect(invalid('  \n').message).toBe('c.json: the file is empty (expected a JSON object)');
  });

  it('lists schema issues by path', () => {
    const err = invalid(JSON.stringify({ instances: [{ name: 'a', spec: { type: 'mixed' } }, { name: 'b', spec: { type: 'mixed', listen: 'nope' } }] }));
    expect(err.message).toBe('c.json: instances[1].spec.listen: expected host:port');
    expect(err.data.issues).toEqual([{ path: 'instances[1].spec.listen', message: 'expected host:port' }]);
  });

  it('explains an unknown or missing instance type', () => {
    expect(invalid('{"instances":[{"name":"a","spec":{"type":"foo"}}]}').message)
      .toBe('c.json: instances[0].spec.type: unknown instance type "foo" (expected: mixed, vless, nodepass)');
    expect(invalid('{"instances":[{"name":"a","spec":{}}]}').message)
      .toBe('c.json: instances[0].spec.type: missing instance type (expected: mixed, vless, nodepass)');
  });

  it('lists several problems on their own lines, including unknown keys and missing fields', () => {
    const err = invalid('{"bogus":1,"version":2,"instances":[{"spec":{"type":"mixed"}}]}');
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('c.json: 3 problems:');
    expect(lines.slice(1).map((l) => l.trim())).toEqual(expect.arrayContaining([
      '(top level): Unrecognized key: "bogus"',
      'instances[0].name: required (expected string)',
      'version: Invalid input: expected 1',
    ]));
    expect(lines).toHaveLength(4);
  });
});
