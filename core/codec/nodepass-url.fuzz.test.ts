import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { type Fuzz, fuzz, runFuzz } from '../test/mixed-codec-fuzz';
import { MAX_INSTANCE_URL_LENGTH, formatInstanceUrl, normalizeInstanceUrl, parseInstanceUrl } from './nodepass-url';

const SEEDS = [
  'server://0.0.0.0:10101/127.0.0.1:8080?log=debug&tls=1&max=512&mode=1',
  'client://key@example.com:443/127.0.0.1:22,[::1]:2222?min=32&sni=x.test&read=1h2m3.5s&dns=30s&rate=100&slot=10&proxy=1&block=13',
  'server://[::]:10101/[2001:db8::1]:80?tls=2&crt=%2Fa&key=%2Fb&notcp=0&noudp=1&dial=10.0.0.1&type=0',
].map((s) => Buffer.from(s, 'latin1'));

const HOSTS = ['', '0.0.0.0', '127.0.0.1', '[::1]', '[::]', 'example.com', 'a-b.c_d', '10.1.2.3', '[fe80::1%25eth0]'];
const PARAMS = [
  'log=info', 'log=none', 'tls=0', 'tls=1', 'tls=2', 'crt=/c', 'key=/k', 'dns=5m0s', 'dns=1.5h', 'sni=host', 'min=1', 'min=65536', 'max=9',
  'mode=0', 'mode=2', 'type=0', 'dial=auto', 'dial=::1', 'read=0s', 'read=10ms', 'rate=0', 'rate=77', 'slot=0', 'proxy=1', 'block=0',
  'block=321', 'notcp=1', 'noudp=0', 'zz=%20', 'min=', 'x=a+b',
];

function structured(g: Fuzz): Buffer {
  const port = () => String(1 + g.int(65535));
  const targets = Array.from({ length: 1 + g.int(3) }, () => `${g.pick(HOSTS)}:${port()}`).join(',');
  const params = Array.from({ length: g.int(6) }, () => g.pick(PARAMS)).join('&');
  const key = g.int(3) === 0 ? `${g.pick(['k', 'my%20key', 'a!b', 's3cr3t'])}@` : '';
  return Buffer.from(`${g.pick(['server', 'client', 'Server'])}://${key}${g.pick(HOSTS)}:${port()}/${targets}${params ? `?${params}` : ''}`, 'utf8');
}

describe('nodepass instance URL fuzz', () => {
  const f = fuzz();

  it(`parseInstanceUrl never throws; accepted URLs normalise idempotently to the same instance (seed ${f.seed})`, () => {
    let ok = 0;
    runFuzz(f, 15_000, (g, i) => (i % 3 === 0 ? structured(g) : i % 3 === 1 ? g.mutate(g.pick(SEEDS)) : g.textish(160)), (input) => {
      const r = parseInstanceUrl(input.toString('utf8'));
      if (!r.ok) {
        assert.ok(r.error.length > 0 && r.error.length < 400, r.error);
        return;
      }
      ok++;
      const u = r.url;
      assert.ok(u.targets.length > 0);
      for (const ep of [u.tunnel, ...u.targets]) assert.ok(Number.isInteger(ep.port) && ep.port >= 1 && ep.port <= 65535);
      assert.match(u.tunnelKey, /./);
      const config = normalizeInstanceUrl(u);
      const again = parseInstanceUrl(config);
      assert.ok(again.ok, `config ${config} does not parse: ${again.ok ? '' : again.error}`);
      assert.equal(normalizeInstanceUrl(again.url), config);
      assert.deepEqual([again.url.role, again.url.tunnel, again.url.targets, again.url.tunnelKey, again.url.params], [u.role, u.tunnel, u.targets, u.tunnelKey, u.params]);
      const formatted = parseInstanceUrl(formatInstanceUrl(u, { tls: '1' }));
      assert.ok(formatted.ok);
      assert.deepEqual(formatted.url.targets, u.targets);
    });
    assert.ok(ok > 1000, `only ${ok} URLs parsed: the fuzzer does not reach the ok path`);
  });

  // The timeout is the hang guard for inputs built to hit quadratic or exponential paths.
  it('long hostile inputs are refused without hanging', { timeout: 10_000 }, () => {
    const nasty = [
      `server://${'['.repeat(MAX_INSTANCE_URL_LENGTH - 20)}:1/a:2`, `server://h:1/${'a:2,'.repeat(4000)}x`, `server://h:1/a:2?${'%41'.repeat(5000)}=%`,
      `server://h:1/a:2?dns=${'1'.repeat(16_000)}s`, `server://h:1/a:2?read=0.${'9'.repeat(16_000)}h&x=%`, `${'s'.repeat(16_000)}://`,
      `server://h:1/a:2?${'a=1&'.repeat(4000)}x=%`,
    ];
    for (const text of nasty) assert.equal(parseInstanceUrl(text).ok, false, text.slice(0, 60));
  });
});
