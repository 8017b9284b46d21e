/** Where a JSON text first goes wrong: a 0-based offset and what was expected there. */
export interface JsonProblem {
  offset: number;
  reason: string;
}

/** Nesting beyond this is left to JSON.parse's own message (the scanner is recursive). */
const MAX_DEPTH = 2000;

/**
 * Finds the first syntax error in `text` (RFC 8259 JSON), or null if it is valid. Used after
 * JSON.parse failed, because Node 20's messages do not always carry a position.
 */
export function locateJsonError(text: string): JsonProblem | null {
  let pos = 0;

  const fail = (reason: string, at = pos): never => { throw new JsonSyntax(at, reason); };
  const describe = (at: number): string => (at >= text.length ? 'end of file' : `'${text[at]}'`);
  const skipWs = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else if (c === 0x2f && (text[pos + 1] === '/' || text[pos + 1] === '*')) fail('comments are not allowed in JSON');
      else return;
    }
  };
  const unexpected = (expected: string): never => {
    if (pos >= text.length) fail(`unexpected end of file (expected ${expected})`);
    return fail(`unexpected ${describe(pos)} (expected ${expected})`);
  };

  const string = (): void => {
    pos++;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) { pos++; return; }
      if (c < 0x20) fail(c === 0x0a || c === 0x0d ? 'line break inside a string (write \\n)' : 'control character inside a string');
      if (c === 0x5c) {
        const e = text[pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('invalid \\u escape (expected 4 hex digits)');
          pos += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          pos += 2;
        } else {
          fail(`invalid escape '\\${e ?? ''}'`);
        }
        continue;
      }
      pos++;
    }
  };

  const number = (): void => {
    const start = pos;
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (!m) fail(`invalid number`);
    pos += m![0].length;
    if (pos < text.length && /[0-9.eE+-]/.test(text[pos])) fail('invalid number', start);
  };

  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) throw new TooDeep();
    skipWs();
    const c = text[pos];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, pos)) { pos += word.length; return; }
    }
    if (c === "'") fail('strings must use double quotes');
    unexpected('a value');
  };

  const object = (depth: number): void => {
    pos++;
    skipWs();
    if (text[pos] === '}') { pos++; return; }
    for (;;) {
      skipWs();
      if (text[pos] !== '"') {
        if (text[pos] === '}') fail('trailing comma before \'}\'', lastComma(text, pos));
        unexpected('a property name in double quotes');
      }
      string();
      skipWs();
      if (text[pos] !== ':') unexpected("':' after the property name");
      pos++;
      value(depth + 1);
      skipWs();
      if (text[pos] === ',') { pos++; continue; }
      if (text[pos] === '}') { pos++; return; }
      unexpected("',' or '}' after a property value");
    }
  };

  const array = (depth: number): void => {
    pos++;
    skipWs();
    if (text[pos] === ']') { pos++; return; }
    for (;;) {
      skipWs();
      if (text[pos] === ']') fail("trailing comma before ']'", lastComma(text, pos));
      value(depth + 1);
      skipWs();
      if (text[pos] === ',') { pos++; continue; }
      if (text[pos] === ']') { pos++; return; }
      unexpected("',' or ']' after an array element");
    }
  };

  try {
    value(0);
    skipWs();
    if (pos < text.length) fail(`unexpected ${describe(pos)} after the end of the JSON value`);
    return null;
  } catch (err) {
    if (err instanceof JsonSyntax) return { offset: err.offset, reason: err.reason };
    if (err instanceof TooDeep) return null;
    throw err;
  }
}

/** 1-based line and column of a 0-based offset (columns count UTF-16 code units). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) { line++; lineStart = i + 1; }
  }
  return { line, column: Math.min(offset, text.length) - lineStart + 1 };
}

class JsonSyntax {
  constructor(readonly offset: number, readonly reason: string) {}
}

class TooDeep {}

function lastComma(text: string, from: number): number {
  const i = text.lastIndexOf(',', from);
  return i < 0 ? from : i;
}
