import { describe, expect, it } from 'vitest';
import { formatDurationNs, formatGoDuration, parseDurationNs, parseGoDuration } from './nodepass-duration';

const S = 1_000_000_000n;
const MIN = 60n * S;
const H = 60n * MIN;
const MS = 1_000_000n;
const US = 1000n;

describe('parseDurationNs (Go time.ParseDuration, cases from Go time_test.go)', () => {
  const cases: [string, bigint][] = [
    ['0', 0n], ['5s', 5n * S], ['30s', 30n * S], ['1478s', 1478n * S], ['-5s', -5n * S], ['+5s', 5n * S], ['-0', 0n], ['+0', 0n],
    ['5.0s', 5n * S], ['5.6s', 5n * S + 600n * MS], ['5.s', 5n * S], ['.5s', 500n * MS], ['1.0s', S], ['1.00s', S], ['1.004s', S + 4n * MS],
    ['1.0040s', S + 4n * MS], ['100.00100s', 100n * S + MS], ['10ns', 10n], ['11us', 11n * US], ['12\u00b5s', 12n * US], ['12\u03bcs', 12n * US],
    ['13ms', 13n * MS], ['14s', 14n * S], ['15m', 15n * MIN], ['16h', 16n * H], ['3h30m', 3n * H + 30n * MIN],
    ['10.5s4m', 4n * MIN + 10n * S + 500n * MS], ['-2m3.4s', -(2n * MIN + 3n * S + 400n * MS)],
    ['1h2m3s4ms5us6ns', H + 2n * MIN + 3n * S + 4n * MS + 5n * US + 6n], ['39h9m14.425s', 39n * H + 9n * MIN + 14n * S + 425n * MS],
    ['52763797000ns', 52763797000n], ['0.3333333333333333333h', 20n * MIN], ['9007199254740993ns', (1n << 53n) + 1n],
    ['9223372036854775807ns', (1n << 63n) - 1n], ['9223372036854775.807us', (1n << 63n) - 1n], ['9223372036s854ms775us807ns', (1n << 63n) - 1n],
    ['-9223372036854775808ns', -(1n << 63n)], ['-9223372036854775.808us', -(1n << 63n)], ['-9223372036s854ms775us808ns', -(1n << 63n)],
    ['-2562047h47m16.854775808s', -(1n << 63n)], ['0.100000000000000000000h', 6n * MIN],
    ['0.830103483285477580700h', 49n * MIN + 48n * S + 372539827n],
  ];
  for (const [text, ns] of cases) it(text, () => expect(parseDurationNs(text)).toBe(ns));

  it('rejects what Go rejects', () => {
    const bad = ['', '3', '-', 's', '.', '-.', '.s', '+.s', '1d', '\x85\x85', '\uFFFD', '9223372036854775810ns', '9223372036854775808ns',
      '-9223372036854775809ns', '9223372036854776us', '3000000h', '9223372036854775.808us', '9223372036854ms775us808ns', '1 s', '1sx', '1.2.3s', 'constructor1s', '1constructor'];
    for (const text of bad) expect(typeof parseDurationNs(text), JSON.stringify(text)).toBe('string');
    expect(parseDurationNs('3')).toBe('time: missing unit in duration "3"');
    expect(parseDurationNs('1d')).toBe('time: unknown unit "d" in duration "1d"');
  });
});

describe('formatDurationNs (Go Duration.String, cases from Go time_test.go)', () => {
  const cases: [string, bigint][] = [
    ['0s', 0n], ['1ns', 1n], ['1.1\u00b5s', 1100n], ['2.2ms', 2200n * US], ['3.3s', 3300n * MS], ['4m5s', 4n * MIN + 5n * S],
    ['4m5.001s', 4n * MIN + 5001n * MS], ['5h6m7.001s', 5n * H + 6n * MIN + 7001n * MS], ['8m0.000000001s', 8n * MIN + 1n],
    ['2562047h47m16.854775807s', (1n << 63n) - 1n], ['-2562047h47m16.854775808s', -(1n << 63n)], ['1h0m0s', H], ['-1.5s', -1500n * MS],
  ];
  for (const [text, ns] of cases) it(text, () => {
    expect(formatDurationNs(ns)).toBe(text);
    expect(parseDurationNs(text)).toBe(ns);
  });
});

describe('milliseconds API', () => {
  it('parses to ms and formats ms back as Go prints them', () => {
    expect(parseGoDuration('5m0s')).toEqual({ ok: true, ms: 300_000 });
    expect(parseGoDuration('30s')).toEqual({ ok: true, ms: 30_000 });
    expect(parseGoDuration('1h2m3.5s')).toEqual({ ok: true, ms: 3_723_500 });
    expect(parseGoDuration('500ms')).toEqual({ ok: true, ms: 500 });
    expect(parseGoDuration('1.5us')).toEqual({ ok: true, ms: 0.0015 });
    expect(parseGoDuration('10m')).toEqual({ ok: true, ms: 600_000 });
    expect(parseGoDuration('x')).toEqual({ ok: false, error: 'time: invalid duration "x"' });
    expect(formatGoDuration(300_000)).toBe('5m0s');
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(1500)).toBe('1.5s');
    expect(formatGoDuration(3_723_500)).toBe('1h2m3.5s');
    expect(formatGoDuration(500)).toBe('500ms');
    expect(formatGoDuration(0.5)).toBe('500\u00b5s');
    expect(formatGoDuration(-90_000)).toBe('-1m30s');
    expect(() => formatGoDuration(Number.NaN)).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });
});
