import { CoreError } from '../rpc';

/**
 * Go `time.Duration` text, as NodePass URLs carry it (`dns=5m0s`, `read=30s`): Go's ParseDuration
 * and Duration.String(), computed on exact nanoseconds.
 */

/** Parses a Go duration string ("5m0s", "1h2m3.5s", "500ms", "-1.5h", "0") to milliseconds. */
export function parseGoDuration(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const r = parseDurationNs(text);
  return typeof r === 'string' ? { ok: false, error: r } : { ok: true, ms: Number(r) / 1e6 };
}

/** Milliseconds as Go's time.Duration.String(): 300000 → "5m0s", 0 → "0s", 1500 → "1.5s", 0.5 → "500µs". */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new CoreError('E_CONFIG_INVALID', `duration ${ms} ms is not a finite number`);
  return formatDurationNs(BigInt(Math.round(ms * 1e6)));
}

const UNIT_NS = new Map<string, bigint>([
  ['ns', 1n], ['us', 1000n], ['\u00b5s', 1000n], ['\u03bcs', 1000n], ['ms', 1_000_000n], ['s', 1_000_000_000n], ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);
const MAX_NS = 1n << 63n;

/** Go's time.ParseDuration, to nanoseconds; a string is the error. */
export function parseDurationNs(orig: string): bigint | string {
  const bad = `time: invalid duration ${JSON.stringify(orig)}`;
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return bad;
  let d = 0n;
  while (s !== '') {
    let i = 0;
    let v = 0n;
    if (!/^[0-9.]/.test(s)) return bad;
    for (; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) {
      if (v > MAX_NS / 10n) return bad;
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX_NS) return bad;
    }
    const pre = i > 0;
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[i] === '.') {
      const start = ++i;
      let overflow = false;
      for (; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) {
        if (overflow) continue;
        if (f > (MAX_NS - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(i) - 48);
        if (y > MAX_NS) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = i > start;
    }
    if (!pre && !post) return bad;
    const unitStart = i;
    while (i < s.length && !/[0-9.]/.test(s[i]!)) i++;
    if (i === unitStart) return `time: missing unit in duration ${JSON.stringify(orig)}`;
    const unit = UNIT_NS.get(s.slice(unitStart, i));
    if (unit === undefined) return `time: unknown unit ${JSON.stringify(s.slice(unitStart, i))} in duration ${JSON.stringify(orig)}`;
    s = s.slice(i);
    if (v > MAX_NS / unit) return bad;
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64; doing the same keeps results bit-identical.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX_NS) return bad;
    }
    d += v;
    if (d > MAX_NS) return bad;
  }
  if (neg) return -d;
  return d > MAX_NS - 1n ? bad : d;
}

/** Go's time.Duration.String() for nanoseconds. */
export function formatDurationNs(d: bigint): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    const [prec, unit] = u < 1000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    out = `${fraction(u, prec)}${unit}`;
  } else {
    out = `${fraction(u % 60_000_000_000n, 9)}s`;
    u /= 60_000_000_000n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** v / 10^prec as "int[.frac]" with trailing zeros (and a bare point) dropped. */
function fraction(v: bigint, prec: number): string {
  const p = 10n ** BigInt(prec);
  const frac = prec === 0 ? '' : (v % p).toString().padStart(prec, '0').replace(/0+$/, '');
  return `${v / p}${frac === '' ? '' : `.${frac}`}`;
}
