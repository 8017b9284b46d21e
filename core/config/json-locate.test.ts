import { describe, expect, it } from 'vitest';
import { lineColumn, locateJsonError } from './json-locate';

const at = (text: string) => {
  const p = locateJsonError(text);
  if (!p) return null;
  return { ...lineColumn(text, p.offset), reason: p.reason };
};

describe('locateJsonError', () => {
  it('accepts what JSON.parse accepts', () => {
    for (const ok of ['{}', '[]', ' {"a":[1,-2.5e3,true,false,null,"x\\n\\u00e9"]} ', '"s"', '0', '{"a":{"b":[]}}']) {
      expect(JSON.parse(ok)).toBeDefined();
      expect(locateJsonError(ok)).toBeNull();
    }
  });

  it('names the line, column and what was expected', () => {
    expect(at('{\n  "a": 1,\n  "b": x\n}')).toEqual({ line: 3, column: 8, reason: "unexpected 'x' (expected a value)" });
    expect(at('{\n  "a": 1,\n}')).toMatchObject({ line: 2, column: 9, reason: "trailing comma before '}'" });
    expect(at('[1,\n2,]')).toMatchObject({ line: 2, column: 2, reason: "trailing comma before ']'" });
    expect(at('{"a" 1}')).toMatchObject({ line: 1, column: 6, reason: "unexpected '1' (expected ':' after the property name)" });
    expect(at('{"a": 1 "b": 2}')).toMatchObject({ column: 9, reason: "unexpected '\"' (expected ',' or '}' after a property value)" });
    expect(at('{"a": 1')).toMatchObject({ column: 8, reason: "unexpected end of file (expected ',' or '}' after a property value)" });
    expect(at("{'a': 1}")).toMatchObject({ column: 2, reason: 'unexpected \'\'\' (expected a property name in double quotes)' });
    expect(at('{"a": // c\n1}')).toMatchObject({ column: 7, reason: 'comments are not allowed in JSON' });
    expect(at('{"a": "x\ny"}')).toMatchObject({ line: 1, column: 9, reason: expect.stringContaining('line break') });
    expect(at('{"a": "\\q"}')).toMatchObject({ column: 8, reason: "invalid escape '\\q'" });
    expect(at('{"a": 01}')).toMatchObject({ column: 7, reason: 'invalid number' });
    expect(at('{} x')).toMatchObject({ column: 4, reason: "unexpected 'x' after the end of the JSON value" });
    expect(at('{"a": "open')).toMatchObject({ reason: 'unterminated string' });
  });

  it('gives up (null) on nesting deeper than it scans, rather than overflowing', () => {
    expect(locateJsonError('['.repeat(5000))).toBeNull();
  });
});
