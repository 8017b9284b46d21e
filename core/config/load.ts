import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigFile, CoreError, formatPath } from '../rpc';
import { lineColumn, locateJsonError } from './json-locate';

/** One problem in a configuration file, path formatted like `instances[2].spec.listen`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Zod's issue shape, as much of it as the messages below need. */
interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  options?: unknown[];
  discriminator?: string;
}

/**
 * Reads and validates a configuration file (`relaydesk serve --config FILE`). Throws
 * E_CONFIG_INVALID naming the file and, for bad JSON, the line:column; for schema problems,
 * one `<path>: <message>` line per issue (also in `data.issues`).
 */
export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CoreError('E_CONFIG_INVALID', `cannot read config file ${path}: ${why}`, { cause: err });
  }
  return parseConfigText(text, path);
}

/** Parses and validates the text of a configuration file; `name` is used in messages. */
export function parseConfigText(text: string, name: string): ConfigFile {
  const raw = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, name);
  const parsed = ConfigFile.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => describeIssue(i as ZodIssueLike, raw));
  const lines = issues.map((i) => `${i.path}: ${i.message}`);
  const message = lines.length === 1
    ? `${name}: ${lines[0]}`
    : `${name}: ${lines.length} problems:\n${lines.map((l) => `  ${l}`).join('\n')}`;
  throw new CoreError('E_CONFIG_INVALID', message, { data: { file: basename(name), issues } });
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (text.trim() === '') throw new CoreError('E_CONFIG_INVALID', `${name}: the file is empty (expected a JSON object)`);
    const problem = locateJsonError(text);
    if (!problem) throw new CoreError('E_CONFIG_INVALID', `${name}: invalid JSON: ${(err as Error).message}`, { cause: err });
    const { line, column } = lineColumn(text, problem.offset);
    throw new CoreError('E_CONFIG_INVALID', `${name}:${line}:${column}: invalid JSON: ${problem.reason}`, { cause: err, data: { line, column } });
  }
}

/** Rewrites zod's generic messages where the file's own value says more. */
function describeIssue(issue: ZodIssueLike, raw: unknown): ConfigIssue {
  const path = formatPath(issue.path) || '(top level)';
  const value = valueAt(raw, issue.path);
  if (issue.code === 'invalid_union' && issue.discriminator && Array.isArray(issue.options)) {
    const expected = issue.options.map(String).join(', ');
    const parent = issue.path[issue.path.length - 2];
    const noun = parent === 'spec' ? 'instance type' : `"${issue.discriminator}"`;
    const message = value === undefined
      ? `missing ${noun} (expected: ${expected})`
      : `unknown ${noun} ${JSON.stringify(value)} (expected: ${expected})`;
    return { path, message };
  }
  if (issue.code === 'invalid_type' && value === undefined && issue.path.length > 0) {
    return { path, message: `required${issue.expected ? ` (expected ${issue.expected})` : ''}` };
  }
  return { path, message: issue.message };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
