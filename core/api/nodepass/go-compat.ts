/**
 * What NodePass's Go master puts on the wire that JavaScript does not do by itself: encoding/json
 * output (HTML-safe escapes, trailing newline), encoding/json decoding rules for request bodies
 * (case-insensitive keys, null = absent), time.Time JSON, and Go's os/arch names.
 */
import os from 'node:os';

/** `json.NewEncoder(w).Encode(v)`: `<`, `>`, `&`, U+2028/9 escaped, newline appended. */
export function goJson(value: unknown): string {
  return `${goMarshal(value)}\n`;
}

/** `json.Marshal(v)` (no newline). */
export function goMarshal(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Wall clock in ns: Date.now() anchored once, advanced by the monotonic clock (as Go's time.Now()).
const anchorMs = BigInt(Date.now());
const anchorHr = process.hrtime.bigint();

/**
 * Go's `time.Time` JSON (RFC 3339, nanoseconds with trailing zeros trimmed, local zone offset or
 * "Z" for UTC), e.g. `2026-01-02T15:04:05.123456789+08:00`. `ms` given → that instant (ms precision).
 */
export function goTime(ms?: number): string {
  const ns = ms === undefined ? anchorMs * 1_000_000n + (process.hrtime.bigint() - anchorHr) : BigInt(ms) * 1_000_000n;
  const wholeMs = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const d = new Date(wholeMs);
  const offMin = -d.getTimezoneOffset();
  const local = new Date(wholeMs + offMin * 60_000);
  const base = local.toISOString().slice(0, 19);
  const sign = offMin >= 0 ? '+' : '-';
  const abs = Math.abs(offMin);
  const zone = offMin === 0 ? 'Z' : `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  return `${base}${frac ? `.${frac}` : ''}${zone}`;
}

/** NodePass's log line layout (`2006-01-02 15:04:05.000  LEVEL  message`, level coloured). */
export function goLogLine(ms: number, level: string, message: string): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  const stamp = d.toISOString().replace('T', ' ').slice(0, 23);
  const upper = level.toUpperCase();
  return `${stamp}  ${LEVEL_COLOURS[upper] ?? ''}${upper}\x1b[0m  ${message}`;
}

const LEVEL_COLOURS: Record<string, string> = { DEBUG: '\x1b[34m', INFO: '\x1b[32m', WARN: '\x1b[33m', ERROR: '\x1b[31m' };

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A JSON body that encoding/json would refuse for the target struct. */
export class GoDecodeError extends Error {}

/**
 * Decodes a request body as `json.NewDecoder(r.Body).Decode(&struct)` would: only an object (or
 * null) fits a struct; keys match field names exactly or case-insensitively (the later key wins);
 * unknown keys are ignored; null changes nothing. Returns the fields found under their
 * canonical names; throws GoDecodeError for bad JSON or a non-object. Field types are checked by
 * the caller's schema.
 */
export function goDecode(body: Buffer | string | undefined, fields: readonly string[]): Record<string, unknown> {
  const text = body === undefined ? '' : body.toString();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GoDecodeError('invalid JSON');
  }
  return goFields(value, fields);
}

/** The same key folding for a nested object (null → {}); throws GoDecodeError for a non-object. */
export function goFields(value: unknown, fields: readonly string[]): Record<string, unknown> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new GoDecodeError('not an object');
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = fields.includes(key) ? key : fields.find((f) => f.toLowerCase() === key.toLowerCase());
    if (name === undefined || v === null) continue;
    out[name] = v;
  }
  return out;
}

const GO_OS: Record<string, string> = { win32: 'windows', sunos: 'solaris' };
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', mipsel: 'mipsle', mips: 'mips', riscv64: 'riscv64', s390x: 's390x', loong64: 'loong64' };

/** `runtime.GOOS` for this process. */
export function goOs(): string {
  return GO_OS[process.platform] ?? process.platform;
}

/** `runtime.GOARCH` for this process (Node's x64 → amd64, ia32 → 386, ppc64 → ppc64le on LE, …). */
export function goArch(): string {
  const a = os.arch();
  if (a === 'ppc64') return os.endianness() === 'LE' ? 'ppc64le' : 'ppc64';
  return GO_ARCH[a] ?? a;
}

/** Byte length as Go's `len(string)` counts it. */
export function goLen(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
