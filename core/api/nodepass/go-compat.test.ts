import { describe, expect, it } from 'vitest';
import { goArch, goDecode, GoDecodeError, goFields, goJson, goLen, goLogLine, goOs, goTime } from './go-compat';
import { parseDiskstats, parseMeminfo, parseNetDev } from './info';

describe('Go wire details', () => {
  it('encodes JSON as encoding/json: HTML-safe escapes and a trailing newline', () => {
    expect(goJson({ url: 'a?x=1&y=<2>', s: '\u2028' })).toBe('{"url":"a?x=1\\u0026y=\\u003c2\\u003e","s":"\\u2028"}\n');
    expect(JSON.parse(goJson({ a: '&<>' }))).toEqual({ a: '&<>' });
  });

  it('formats time.Time as RFC 3339 with trimmed nanoseconds and the zone', () => {
    const t = goTime();
    expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/);
    expect(Math.abs(Date.parse(t) - Date.now())).toBeLessThan(2000);
    const fixed = goTime(Date.UTC(2026, 0, 2, 7, 4, 5, 120));
    expect(Date.parse(fixed)).toBe(Date.UTC(2026, 0, 2, 7, 4, 5, 120));
    expect(fixed).toMatch(/:05\.12(Z|[+-]\d\d:\d\d)$/);
  });

  it('decodes bodies as json.Decode into a struct', () => {
    expect(goDecode('{"URL":"x","url":"y","other":1}', ['url'])).toEqual({ url: 'y' });
    expect(goDecode('{"Alias":"a","alias":null}', ['alias'])).toEqual({ alias: 'a' });
    expect(goDecode('null', ['url'])).toEqual({});
    for (const bad of ['', '{', '[]', '"s"', '5']) expect(() => goDecode(bad, ['url']), bad).toThrow(GoDecodeError);
    expect(() => goFields([], ['x'])).toThrow(GoDecodeError);
  });

  it('names the platform as Go does and counts bytes', () => {
    expect(goOs()).toMatch(/^(linux|darwin|windows|freebsd|openbsd|solaris|aix|android|netbsd)$/);
    expect(goArch()).not.toBe('x64');
    expect(goLen('é'.repeat(129))).toBe(258);
  });

  it('lays log lines out like NodePass', () => {
    expect(goLogLine(Date.now(), 'warn', 'hello')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}\x1b\[33mWARN\x1b\[0m {2}hello$/);
  });
});

describe('/proc parsing', () => {
  it('meminfo: used = total - available, swap used = total - free', () => {
    expect(parseMeminfo('MemTotal:       1000 kB\nMemFree: 10 kB\nMemAvailable:    400 kB\nSwapTotal: 200 kB\nSwapFree: 50 kB\n'))
      .toEqual({ mem_total: 1024000, mem_used: 614400, swap_total: 204800, swap_used: 153600 });
  });

  it('net/dev: physical interfaces only', () => {
    const text = 'Inter-|   Receive\n face |bytes packets\n    lo: 500 1 0 0 0 0 0 0 500 1 0 0 0 0 0 0\n  eth0: 100 1 0 0 0 0 0 0 200 1 0 0 0 0 0 0\ndocker0: 7 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n  wlan0: 1 1 0 0 0 0 0 0 2 1 0 0 0 0 0 0\n';
    expect(parseNetDev(text)).toEqual({ netrx: 101, nettx: 202 });
  });

  it('diskstats: whole disks only, sectors × 512', () => {
    const text = [
      '   8       0 sda 10 0 4 0 20 0 8 0 0 0 0 0 0 0',
      '   8       1 sda1 10 0 4 0 20 0 8 0 0 0 0 0 0 0',
      '   7       0 loop0 10 0 99 0 20 0 99 0 0 0 0 0 0 0',
      ' 259       0 nvme0n1 1 0 1 0 1 0 1 0 0 0 0 0 0 0',
    ].join('\n');
    // nvme0n1 ends in a digit, so NodePass skips it too.
    expect(parseDiskstats(text)).toEqual({ diskr: 4 * 512, diskw: 8 * 512 });
  });
});
