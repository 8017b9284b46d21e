import { xorWithKey } from './nodepass-key';

/**
 * NodePass v1.14 control-channel lines: base64std(JSON XOR tunnel key) + "\n", where the JSON is
 * Go's encoding/json output of `Signal{action, remote, id, fp}` with omitempty (field order fixed).
 */

/** Actions NodePass v1.14 sends; decoders pass unknown actions through (NodePass ignores them). */
export const SIGNAL_ACTIONS = ['tcp', 'udp', 'ping', 'pong', 'flush', 'verify'] as const;
export type SignalAction = (typeof SIGNAL_ACTIONS)[number];

/** One control signal. Empty strings are treated as absent (Go's omitempty). */
export interface NodePassSignal {
  /** `tcp`, `udp`, `ping`, `pong`, `flush`, `verify` (or an unknown action from a newer peer). */
  action: SignalAction | (string & {});
  /** The user's `ip:port` (tcp/udp: the session key on the peer). */
  remote?: string;
  /** The pool connection id, 8 lowercase hex characters. */
  id?: string;
  /** `verify`: `sha256:` + uppercase colon-separated hex of the server's leaf certificate. */
  fp?: string;
}

export type DecodeSignalResult = { ok: true; signal: NodePassSignal } | { ok: false; error: string };

/** Longest control line accepted by SignalLineSplitter by default, newline excluded. */
export const MAX_SIGNAL_LINE = 64 * 1024;

/** The JSON text NodePass writes for `signal` (Go encoding/json: HTML-safe escapes, omitempty). */
export function encodeSignalJson(signal: NodePassSignal): string {
  let json = `{"action":${goJsonString(signal.action)}`;
  if (signal.remote) json += `,"remote":${goJsonString(signal.remote)}`;
  if (signal.id) json += `,"id":${goJsonString(signal.id)}`;
  if (signal.fp) json += `,"fp":${goJsonString(signal.fp)}`;
  return `${json}}`;
}

/** The full control line, newline included. Throws E_CONFIG_INVALID for an empty key. */
export function encodeSignal(signal: NodePassSignal, key: string): string {
  const bytes = xorWithKey(Buffer.from(encodeSignalJson(signal), 'utf8'), key);
  return `${bytes.toString('base64')}\n`;
}

/**
 * Decodes one control line (with or without its trailing "\n"; CR and LF inside are skipped as Go's
 * base64 decoder does). The JSON must be an object with a non-empty string `action`; field names
 * match case-insensitively as in Go, unknown fields are ignored, null counts as absent. Never throws.
 */
export function decodeSignal(line: string | Buffer, key: string): DecodeSignalResult {
  if (key === '') return { ok: false, error: 'tunnel key is empty' };
  let text = typeof line === 'string' ? line : line.toString('latin1');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (/[\r\n]/.test(text)) text = text.replace(/[\r\n]/g, '');
  if (!BASE64.test(text)) return { ok: false, error: 'control line is not padded standard base64' };
  const json = xorWithKey(Buffer.from(text, 'base64'), key).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, error: 'control line is not JSON after XOR with the tunnel key (wrong key?)' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'control signal is not a JSON object' };
  const signal: NodePassSignal = { action: '' };
  for (const [name, field] of Object.entries(value)) {
    const known = FIELDS.get(name) ?? FIELDS.get(name.toLowerCase());
    if (known === undefined || field === null) continue;
    if (typeof field !== 'string') return { ok: false, error: `control signal field "${name}" is not a string` };
    signal[known] = field;
  }
  if (!signal.action) return { ok: false, error: 'control signal has no "action"' };
  if (!signal.remote) delete signal.remote;
  if (!signal.id) delete signal.id;
  if (!signal.fp) delete signal.fp;
  return { ok: true, signal };
}

/** Result of feeding bytes to a SignalLineSplitter: complete lines (no "\n"), then maybe an error. */
export type SplitResult = { ok: true; lines: string[] } | { ok: false; lines: string[]; error: string };

/**
 * Cuts a control-channel byte stream into lines. Lines come out without their "\n" as latin1 text
 * (control lines are ASCII base64). A line longer than `maxLine` bytes is an error, reported once;
 * after that the splitter is broken and every push returns the same error (close the channel).
 */
export class SignalLineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private failure: string | undefined;

  /** @param maxLine longest line in bytes, newline excluded. @default MAX_SIGNAL_LINE */
  constructor(private readonly maxLine = MAX_SIGNAL_LINE) {}

  /** Bytes held for the line not yet terminated. */
  get pending(): number {
    return this.size;
  }

  push(chunk: Buffer): SplitResult {
    const lines: string[] = [];
    if (this.failure !== undefined) return { ok: false, lines, error: this.failure };
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      if (this.size + nl - start > this.maxLine) return this.fail(lines);
      if (this.size === 0) {
        lines.push(chunk.toString('latin1', start, nl));
      } else {
        this.parts.push(chunk.subarray(start, nl));
        lines.push(Buffer.concat(this.parts, this.size + nl - start).toString('latin1'));
        this.parts = [];
        this.size = 0;
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      if (this.size + chunk.length - start > this.maxLine) return this.fail(lines);
      // Copy: the caller may reuse its read buffer.
      this.parts.push(Buffer.from(chunk.subarray(start)));
      this.size += chunk.length - start;
    }
    return { ok: true, lines };
  }

  /** Drops any partial line and clears a previous error. */
  reset(): void {
    this.parts = [];
    this.size = 0;
    this.failure = undefined;
  }

  private fail(lines: string[]): SplitResult {
    this.failure = `control line longer than ${this.maxLine} bytes`;
    this.parts = [];
    this.size = 0;
    return { ok: false, lines, error: this.failure };
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const FIELDS = new Map<string, 'action' | 'remote' | 'id' | 'fp'>([['action', 'action'], ['remote', 'remote'], ['id', 'id'], ['fp', 'fp']]);

/** A JSON string literal as Go's encoding/json writes it: <, >, &, U+2028/9 escaped, lone surrogates → U+FFFD. */
function goJsonString(s: string): string {
  const wellFormed = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return JSON.stringify(wellFormed).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
