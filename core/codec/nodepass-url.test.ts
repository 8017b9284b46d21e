import { describe, expect, it } from 'vitest';
import { NODEPASS_VECTORS } from '../test/nodepass-vectors';
import { type NodePassUrl, formatInstanceUrl, instanceUrlOrThrow, normalizeInstanceUrl, parseInstanceUrl } from './nodepass-url';

const parse = (text: string): NodePassUrl => {
  const r = parseInstanceUrl(text);
  if (!r.ok) throw new Error(`${text}: ${r.error}`);
  return r.url;
};
const error = (text: string) => {
  const r = parseInstanceUrl(text);
  return r.ok ? 'accepted' : r.error;
};

describe('parseInstanceUrl: addresses and key', () => {
  it('parses a server with its defaults', () => {
    const u = parse('server://0.0.0.0:10101/127.0.0.1:8080');
    expect(u).toMatchObject({
      role: 'server', tunnel: { host: '0.0.0.0', port: 10101, portText: '10101' }, targets: [{ host: '127.0.0.1', port: 8080 }],
      tunnelKey: 'e68be2b4', keyFromUrl: false, serverName: 'none', ignored: [],
    });
    expect(u.params).toEqual({
      log: 'info', tls: 0, dnsMs: 300_000, sni: 'none', min: 64, max: 1024, mode: 0, type: 0, dial: 'auto', readMs: 0, rate: 0, slot: 65536,
      proxy: false, block: { socks: false, http: false, tls: false }, notcp: false, noudp: false,
    });
  });

  it('parses a client with a key, IPv6 and several targets (trimmed, empty items skipped)', () => {
    const u = parse('CLIENT://my%2Dkey@[2001:db8::1]:443/127.0.0.1:22, [::1]:2222 ,,db.local:5432');
    expect(u).toMatchObject({
      role: 'client', tunnel: { host: '2001:db8::1', port: 443 }, tunnelKey: 'my-key', keyFromUrl: true, serverName: 'none',
      targets: [{ host: '127.0.0.1', port: 22 }, { host: '::1', port: 2222 }, { host: 'db.local', port: 5432 }],
    });
  });

  it('derives the key of every vector port from the port text, and takes the username otherwise', () => {
    for (const c of NODEPASS_VECTORS.cases) {
      const u = parse(c.port === undefined ? `server://${c.tunnelKey}@0.0.0.0:10101/10.0.0.1:80` : `client://example.org:${c.port}/127.0.0.1:1`);
      expect(u.tunnelKey).toBe(c.tunnelKey);
    }
    expect(parse('client://h:08080/a:1').tunnelKey).not.toBe(parse('client://h:8080/a:1').tunnelKey);
    expect(parse('client://:pw@h:8080/a:1')).toMatchObject({ tunnelKey: '40c0f1e5', keyFromUrl: false });
  });

  it('takes the server name from sni, else the tunnel host name unless it is an IP', () => {
    expect(parse('client://example.com:443/a:1').serverName).toBe('example.com');
    expect(parse('client://example.com:443/a:1?sni=other.org').serverName).toBe('other.org');
    expect(parse('client://10.0.0.1:443/a:1').serverName).toBe('none');
    expect(parse('client://10.0.0.1:443/a:1?sni=x.test').serverName).toBe('x.test');
    expect(parse('client://:443/a:1').serverName).toBe('none');
  });

  it('refuses a target on the tunnel port of a loopback target or an unspecified tunnel host', () => {
    for (const text of [
      'server://0.0.0.0:10101/127.0.0.1:10101', 'server://:10101/10.0.0.1:10101', 'server://[::]:10101/example.com:10101',
      'client://1.2.3.4:10101/localhost:10101', 'client://1.2.3.4:10101/[::1]:10101', 'client://1.2.3.4:10101/[::ffff:127.0.0.9]:10101',
      'server://10.0.0.1:80/10.0.0.2:81,127.1.2.3:80',
    ]) expect(error(text), text).toMatch(/^target\[\d\] ".*": same port as the tunnel \(\d+\) on a loopback or unspecified address would loop into the tunnel$/);
    expect(error('server://10.0.0.1:80/10.0.0.2:81,127.1.2.3:80')).toMatch(/^target\[1\] "127\.1\.2\.3:80"/);
    for (const text of ['client://1.2.3.4:10101/10.0.0.1:10101', 'server://10.0.0.1:10101/127.0.0.1:10102', 'client://1.2.3.4:10101/:10101']) {
      expect(error(text), text).toBe('accepted');
    }
  });
});

describe('parseInstanceUrl: parameters', () => {
  it('reads every parameter of each role', () => {
    const s = parse('server://:1/a:2?log=debug&tls=2&crt=/c.pem&key=/k.pem&dns=30s&max=2048&mode=2&type=0&dial=10.0.0.5&read=1h2m3.5s&rate=100&slot=0&proxy=1&block=123&notcp=1&noudp=1');
    expect(s.params).toEqual({
      log: 'debug', tls: 2, crt: '/c.pem', key: '/k.pem', dnsMs: 30_000, sni: 'none', min: 64, max: 2048, mode: 2, type: 0, dial: '10.0.0.5',
      readMs: 3_723_500, rate: 100, slot: 0, proxy: true, block: { socks: true, http: true, tls: true }, notcp: true, noudp: true,
    });
    const c = parse('client://h:1/a:2?sni=x.test&min=1&mode=1&dial=::1&block=2&read=500ms&dns=0');
    expect(c.params).toMatchObject({ sni: 'x.test', min: 1, mode: 1, dial: '::1', block: { socks: false, http: true, tls: false }, readMs: 500, dnsMs: 0 });
  });

  it('treats empty values as absent and takes the first of repeated keys', () => {
    expect(parse('client://h:1/a:2?min=&rate=5&rate=9').params).toMatchObject({ min: 64, rate: 5 });
  });

  it("keeps the other role's keys and unknown keys unvalidated, listing them as ignored", () => {
    const s = parse('server://h:1/a:2?min=abc&sni=x&zzz=1&constructor=1');
    expect(s.ignored).toEqual(['min', 'sni', 'zzz', 'constructor']);
    expect(s.params.min).toBe(64);
    const c = parse('client://h:1/a:2?type=2&tls=7&max=0&crt=x');
    expect(c.ignored).toEqual(['type', 'tls', 'max', 'crt']);
    expect(c.params).toMatchObject({ tls: 0, max: 1024, type: 0 });
    expect(c.params.crt).toBeUndefined();
  });

  it('names the parameter and the expectation when a value is wrong', () => {
    const cases: [string, string][] = [
      ['client://h:1/a:2?min=abc', 'query parameter "min": expected an integer 1..65536, got "abc"'],
      ['client://h:1/a:2?min=0', 'query parameter "min": expected an integer 1..65536, got "0"'],
      ['server://h:1/a:2?max=65537', 'query parameter "max": expected an integer 1..65536, got "65537"'],
      ['server://h:1/a:2?mode=3', 'query parameter "mode": expected an integer 0..2, got "3"'],
      ['server://h:1/a:2?tls=3', 'query parameter "tls": expected an integer 0..2, got "3"'],
      ['server://h:1/a:2?tls=2&key=/k', 'query parameter "crt": required when tls=2'],
      ['server://h:1/a:2?tls=2&crt=/c', 'query parameter "key": required when tls=2'],
      ['server://h:1/a:2?proxy=2', 'query parameter "proxy": expected an integer 0..1, got "2"'],
      ['server://h:1/a:2?notcp=yes', 'query parameter "notcp": expected an integer 0..1, got "yes"'],
      ['client://h:1/a:2?noudp=-1', 'query parameter "noudp": expected an integer 0..1, got "-1"'],
      ['client://h:1/a:2?rate=1.5', 'query parameter "rate": expected an integer 0..1000000, got "1.5"'],
      ['client://h:1/a:2?slot=%2B5', 'query parameter "slot": expected an integer 0..2147483647, got "+5"'],
      ['client://h:1/a:2?log=verbose', 'query parameter "log": expected one of none, debug, info, warn, error, event, got "verbose"'],
      ['client://h:1/a:2?dns=5', 'query parameter "dns": expected a Go duration such as "5m0s", "30s" or "500ms", got "5"'],
      ['client://h:1/a:2?read=-1s', 'query parameter "read": expected a Go duration such as "5m0s", "30s" or "500ms", got "-1s"'],
      ['client://h:1/a:2?dial=eth0', 'query parameter "dial": expected "auto" or a local IP address, got "eth0"'],
      ['client://h:1/a:2?block=4', 'query parameter "block": expected 0 or digits from 1 (SOCKS), 2 (HTTP), 3 (TLS), got "4"'],
      ['client://h:1/a:2?block=01', 'query parameter "block": expected 0 or digits from 1 (SOCKS), 2 (HTTP), 3 (TLS), got "01"'],
      ['server://h:1/a:2?type=1', 'query parameter "type": pool type 1 (QUIC) is not supported; QUIC, WebSocket and HTTP/2 pools are not supported, only 0 (TCP)'],
      ['server://h:1/a:2?type=3', 'query parameter "type": pool type 3 (HTTP/2) is not supported; QUIC, WebSocket and HTTP/2 pools are not supported, only 0 (TCP)'],
      ['server://h:1/a:2?type=9', 'query parameter "type": expected 0 (TCP pool), got "9"'],
    ];
    for (const [text, message] of cases) expect(error(text), text).toBe(message);
  });
});

describe('parseInstanceUrl: structure errors', () => {
  it('names the part that is wrong', () => {
    const cases: [string, string][] = [
      ['foo://h:1/a:2', 'scheme "foo": expected server or client'],
      ['master://h:1/api', 'scheme "master": expected server or client'],
      ['h:1/a:2', 'scheme "h": expected server or client'],
      ['//h:1/a:2', 'scheme: missing, expected server:// or client://'],
      ['server:h:1/a:2', 'expected "server://" followed by the tunnel address'],
      ['server://h:0/a:2', 'tunnel address "h:0": tunnel port must be 1..65535, got "0"'],
      ['server://h:65536/a:2', 'tunnel address "h:65536": tunnel port must be 1..65535, got "65536"'],
      ['server://h:/a:2', 'tunnel address "h:": tunnel port must be 1..65535, got ""'],
      ['server://h/a:2', 'tunnel address "h": expected host:port'],
      ['server://::1:80/a:2', 'tunnel address "::1:80": expected host:port (write IPv6 addresses in brackets)'],
      ['server://[::1/a:2', 'tunnel address "[::1": expected [ipv6]:port'],
      ['server://[1.2.3.4]:5/a:2', 'tunnel address "[1.2.3.4]:5": "1.2.3.4" is not an IPv6 address'],
      ['server://h_*:1/a:2', 'tunnel address "h_*:1": "h_*" is not a valid host name or IP address'],
      ['server://1.2.3.999:1/a:2', 'tunnel address "1.2.3.999:1": "1.2.3.999" is not a valid host name or IP address'],
      ['server://k<y@h:1/a:2', 'key "k<y": invalid character in the URL username'],
      ['server://k%zz@h:1/a:2', 'key "k%zz": invalid percent-encoding'],
      ['server://h:1', 'target: missing, expected /host:port[,host:port…] after the tunnel address'],
      ['server://h:1/', 'target: missing, expected /host:port[,host:port…] after the tunnel address'],
      ['server://h:1/ , ,', 'target: missing, expected /host:port[,host:port…] after the tunnel address'],
      ['server://h:1/a:2,x', 'target[1] "x": expected host:port'],
      ['server://h:1/a:2,b:0', 'target[1] "b:0": port must be 1..65535, got "0"'],
      ['server://h:1/a:http', 'target[0] "a:http": port must be 1..65535, got "http"'],
      ['server://h:1/a%zz:2', 'target "/a%zz:2": invalid percent-encoding'],
      ['server://h:1/a:2#frag', 'fragment "#frag": not allowed in an instance URL'],
      ['server://h:1/a:2?x=%G1', 'query "x=%G1": invalid percent-encoding'],
      ['server://h:1/a:2?a=1;b=2', 'query "a=1;b=2": ";" is not a separator, use "&"'],
      ['server://h:1/a:2\n', 'URL contains a control character'],
      [`server://h:1/a:2?x=${'y'.repeat(17_000)}`, 'URL is longer than 16384 characters'],
    ];
    for (const [text, message] of cases) expect(error(text), text).toBe(message);
  });

  it('instanceUrlOrThrow throws E_CONFIG_INVALID with the same text', () => {
    expect(() => instanceUrlOrThrow('foo://h:1/a:2')).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID', message: 'invalid instance URL: scheme "foo": expected server or client' }));
    expect(instanceUrlOrThrow('server://h:1/a:2').role).toBe('server');
  });
});

describe('formatInstanceUrl / normalizeInstanceUrl (NodePass url and config)', () => {
  it('fills the server defaults in Go sorted-key order, as NodePass config shows them', () => {
    const u = parse('server://0.0.0.0:10101/127.0.0.1:8080');
    expect(formatInstanceUrl(u)).toBe('server://0.0.0.0:10101/127.0.0.1:8080?log=info');
    expect(normalizeInstanceUrl(u)).toBe(
      'server://0.0.0.0:10101/127.0.0.1:8080?block=0&dial=auto&dns=5m0s&log=info&max=1024&mode=0&notcp=0&noudp=0&proxy=0&rate=0&read=0s&slot=65536&type=0',
    );
  });

  it('fills the client defaults and keeps given values as written', () => {
    const u = parse('client://mysecret@example.com:10101/127.0.0.1:8080,[::1]:9090?rate=100&min=032&read=90s');
    expect(formatInstanceUrl(u)).toBe('client://mysecret@example.com:10101/127.0.0.1:8080,[::1]:9090?log=info&min=032&rate=100&read=90s');
    expect(normalizeInstanceUrl(u)).toBe(
      'client://mysecret@example.com:10101/127.0.0.1:8080,[::1]:9090?block=0&dial=auto&dns=5m0s&log=info&min=032&mode=0&notcp=0&noudp=0&proxy=0&rate=100&read=90s&slot=65536&sni=none',
    );
  });

  it("adds the master's log, and its tls/crt/key to servers only", () => {
    const s = parse('server://:1/a:2?log=warn');
    const c = parse('client://h:1/a:2');
    expect(formatInstanceUrl(s, { log: 'debug', tls: '1' })).toBe('server://:1/a:2?log=warn&tls=1');
    expect(formatInstanceUrl(c, { log: 'debug', tls: '1' })).toBe('client://h:1/a:2?log=debug');
    expect(formatInstanceUrl(s, { tls: '2', crt: '/etc/a b.crt', key: '/k' })).toBe('server://:1/a:2?crt=%2Fetc%2Fa+b.crt&key=%2Fk&log=warn&tls=2');
    expect(formatInstanceUrl(parse('server://:1/a:2?tls=0'), { tls: '2', crt: '/c', key: '/k' })).toBe('server://:1/a:2?crt=%2Fc&key=%2Fk&log=info&tls=0');
    expect(formatInstanceUrl(c, { log: '' })).toBe('client://h:1/a:2');
    expect(normalizeInstanceUrl(s, { tls: '1' })).toContain('&tls=1&type=0');
  });

  it('re-encodes like Go url.Values.Encode and URL.String', () => {
    const u = parse('server://a!b:p%40ss@h:1/a:2?zeta=%E2%9C%93&b=x+y&b=2&A=1&min=&crt=/x/y');
    expect(formatInstanceUrl(u)).toBe('server://a%21b:p%40ss@h:1/a:2?A=1&b=x+y&b=2&crt=%2Fx%2Fy&log=info&min=&zeta=%E2%9C%93');
    expect(normalizeInstanceUrl(u)).toContain('&min=&');
    expect(normalizeInstanceUrl(parse('client://h:1/a:2?min=&min=5'))).toContain('&min=64&');
    expect(formatInstanceUrl(parse('server://[fe80::1%25eth0]:1/[::1]:2,b:3'))).toBe('server://[fe80::1%25eth0]:1/[::1]:2,b:3?log=info');
    expect(formatInstanceUrl(parse('server://h:1/a:2, b:3'))).toBe('server://h:1/a:2,%20b:3?log=info');
  });

  it('is idempotent and its output parses to the same instance', () => {
    for (const text of [
      'server://0.0.0.0:10101/127.0.0.1:8080', 'client://k@example.com:443/127.0.0.1:22,10.0.0.2:22?min=8&sni=x&proxy=1',
      'server://:1/a:2?tls=2&crt=/a&key=/b&read=1.5s&zz=%20', 'client://h:1/a:2?type=3&max=x',
    ]) {
      const u = parse(text);
      const config = normalizeInstanceUrl(u);
      const again = parse(config);
      expect(normalizeInstanceUrl(again)).toBe(config);
      expect(parse(formatInstanceUrl(u)).params).toEqual(u.params);
      expect(again).toMatchObject({ role: u.role, tunnel: u.tunnel, targets: u.targets, tunnelKey: u.tunnelKey, params: u.params });
      expect(parse(formatInstanceUrl(u)).serverName).toBe(u.serverName);
    }
  });

  it('config is for display: its sni=none default hides a host-derived server name (NodePass runs the url, not the config)', () => {
    const u = parse('client://example.com:443/a:2');
    expect(u.serverName).toBe('example.com');
    expect(parse(normalizeInstanceUrl(u)).serverName).toBe('none');
  });
});
