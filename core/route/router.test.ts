import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Outbound } from '../adapter';
import { LogBus } from '../log/logger';
import { createDirectOutbound } from '../outbound/direct';
import { isCoreError, RouteSettings, type Rule } from '../rpc';
import { builtinOutbounds, leakGuard, testMeta } from '../test/route-rig';
import { createRouter, validateRouteSettings } from './router';

let logs: LogBus;
let outbounds: Map<string, Outbound>;
let guard: ReturnType<typeof leakGuard>;

beforeEach(() => {
  logs = new LogBus({ level: 'debug' });
  outbounds = builtinOutbounds();
  // A second real outbound under another tag, standing in for a saved profile.
  outbounds.set('proxy', { ...createDirectOutbound(), tag: 'proxy' });
  guard = leakGuard();
});
afterEach(() => guard.check());

function routerFor(settings: Partial<RouteSettings> & { rules?: Rule[] }) {
  const parsed = RouteSettings.parse(settings);
  return createRouter({ settings: () => parsed, outbound: (t) => outbounds.get(t), log: logs.logger('route') });
}

async function decide(settings: Parameters<typeof routerFor>[0], host: string, port = 443, source = '203.0.113.5') {
  const d = await routerFor(settings).route(testMeta({ host, port }, { source: { address: source, port: 5000 } }));
  return `${d.outbound.tag} ${d.rule}`;
}

const rule = (type: Rule['type'], value: string, outbound = 'proxy'): Rule => ({ type, value, outbound });

describe('modes', () => {
  it('direct mode sends everything direct, even with rules', async () => {
    expect(await decide({ mode: 'direct', rules: [rule('domain_keyword', 'x')] }, 'x.com')).toBe('direct mode(direct)');
  });

  it('global mode uses globalOutbound, with LAN bypass first', async () => {
    expect(await decide({ mode: 'global', globalOutbound: 'proxy' }, 'example.com')).toBe('proxy mode(global)');
    expect(await decide({ mode: 'global', globalOutbound: 'proxy' }, '192.168.1.10')).toBe('direct lan');
    expect(await decide({ mode: 'global', globalOutbound: 'proxy', lanBypass: false }, '192.168.1.10')).toBe('proxy mode(global)');
  });

  it('rule mode falls back to final', async () => {
    expect(await decide({ mode: 'rule', final: 'proxy', rules: [rule('domain', 'a.com', 'block')] }, 'b.com')).toBe('proxy final');
  });
});

describe('LAN bypass', () => {
  it.each(['10.1.2.3', '172.20.0.1', '127.0.0.1', '169.254.0.9', '::1', 'fe80::2', 'fd00::1', '::ffff:192.168.0.7', 'localhost', 'LocalHost.', 'nas'])(
    '%s goes direct', async (host) => {
      expect(await decide({ mode: 'rule', final: 'proxy', rules: [rule('domain_keyword', 'l', 'block')] }, host)).toBe('direct lan');
    },
  );

  it('public addresses and dotted names are not bypassed', async () => {
    for (const host of ['8.8.8.8', '2001:4860::8888', 'example.com', '::ffff:8.8.8.8']) {
      expect(await decide({ mode: 'rule', final: 'proxy' }, host)).toBe('proxy final');
    }
  });
});

describe('rule types', () => {
  it('domain: exact, case-insensitive, trailing dot ignored, never an IP', async () => {
    const s = { final: 'direct', lanBypass: false, rules: [rule('domain', 'Example.COM.')] };
    expect(await decide(s, 'example.com')).toBe('proxy domain(Example.COM.)');
    expect(await decide(s, 'EXAMPLE.com.')).toBe('proxy domain(Example.COM.)');
    expect(await decide(s, 'www.example.com')).toBe('direct final');
    expect(await decide(s, 'example.co')).toBe('direct final');
  });

  it('domain_suffix: the domain itself and subdomains only', async () => {
    const s = { rules: [rule('domain_suffix', 'example.com')] };
    expect(await decide(s, 'example.com')).toBe('proxy domain_suffix(example.com)');
    expect(await decide(s, 'a.b.Example.com')).toBe('proxy domain_suffix(example.com)');
    expect(await decide(s, 'badexample.com')).toBe('direct final');
    expect(await decide(s, 'example.com.evil.net')).toBe('direct final');
    expect(await decide({ rules: [rule('domain_suffix', '.example.com')] }, 'x.example.com')).toBe('proxy domain_suffix(.example.com)');
  });

  it('domain_keyword: substring of domains, not of IP literals', async () => {
    const s = { rules: [rule('domain_keyword', 'goog'), rule('domain_keyword', '8.8')] };
    expect(await decide(s, 'www.GOOGLE.com')).toBe('proxy domain_keyword(goog)');
    expect(await decide(s, '8.8.8.8')).toBe('direct final');
  });

  it('ip_cidr: IPv4, IPv6 and IPv4-mapped destinations', async () => {
    const s = { rules: [rule('ip_cidr', '203.0.113.0/24'), rule('ip_cidr', '2001:db8::/32', 'block')] };
    expect(await decide(s, '203.0.113.77')).toBe('proxy ip_cidr(203.0.113.0/24)');
    expect(await decide(s, '::ffff:203.0.113.1')).toBe('proxy ip_cidr(203.0.113.0/24)');
    expect(await decide(s, '203.0.114.1')).toBe('direct final');
    expect(await decide(s, '2001:db8:1::5')).toBe('block ip_cidr(2001:db8::/32)');
    expect(await decide(s, '2001:db9::5')).toBe('direct final');
  });

  it('ip_cidr: a domain is looked up once it reaches an ip_cidr rule', async () => {
    const s = { lanBypass: false, rules: [rule('domain', 'other.test', 'block'), rule('ip_cidr', '127.0.0.0/8')] };
    expect(await decide(s, 'localhost')).toBe('proxy ip_cidr(127.0.0.0/8)');
    expect(await decide({ lanBypass: false, rules: [rule('ip_cidr', '10.0.0.0/8')] }, 'localhost')).toBe('direct final');
  });

  it('ip_cidr: a name that does not resolve matches nothing', async () => {
    expect(await decide({ rules: [rule('ip_cidr', '0.0.0.0/0')] }, 'nonexistent.invalid')).toBe('direct final');
    expect(logs.entries({ limit: 50, level: 'debug' }).some((e) => e.message.includes('lookup nonexistent.invalid'))).toBe(true);
  });

  it('a domain rule before ip_cidr wins without any lookup', async () => {
    const s = { rules: [rule('domain_suffix', 'invalid', 'block'), rule('ip_cidr', '0.0.0.0/0')] };
    expect(await decide(s, 'nonexistent.invalid')).toBe('block domain_suffix(invalid)');
    expect(logs.entries({ limit: 50, level: 'debug' }).some((e) => e.message.includes('lookup'))).toBe(false);
  });

  it('src_cidr matches the client address, IPv4-mapped included', async () => {
    const s = { rules: [rule('src_cidr', '198.51.100.0/24')] };
    expect(await decide(s, 'example.com', 443, '198.51.100.9')).toBe('proxy src_cidr(198.51.100.0/24)');
    expect(await decide(s, 'example.com', 443, '::ffff:198.51.100.9')).toBe('proxy src_cidr(198.51.100.0/24)');
    expect(await decide(s, 'example.com', 443, '198.51.101.9')).toBe('direct final');
    expect(await decide({ rules: [rule('src_cidr', 'fd00::/8')] }, 'example.com', 443, 'fd12::1')).toBe('proxy src_cidr(fd00::/8)');
  });

  it('dst_port: single port and inclusive range', async () => {
    const s = { rules: [rule('dst_port', '25', 'block'), rule('dst_port', '8000-9000')] };
    expect(await decide(s, 'example.com', 25)).toBe('block dst_port(25)');
    expect(await decide(s, 'example.com', 8000)).toBe('proxy dst_port(8000-9000)');
    expect(await decide(s, 'example.com', 9000)).toBe('proxy dst_port(8000-9000)');
    expect(await decide(s, 'example.com', 9001)).toBe('direct final');
    expect(await decide(s, 'example.com', 7999)).toBe('direct final');
  });

  it('first matching rule wins', async () => {
    const s = { rules: [rule('dst_port', '443', 'block'), rule('domain', 'example.com')] };
    expect(await decide(s, 'example.com', 443)).toBe('block dst_port(443)');
    expect(await decide(s, 'example.com', 80)).toBe('proxy domain(example.com)');
  });
});

describe('settings', () => {
  it('follows a settings change (compiled per settings object)', async () => {
    let current = RouteSettings.parse({ rules: [rule('domain', 'a.com', 'block')] });
    const router = createRouter({ settings: () => current, outbound: (t) => outbounds.get(t), log: logs.logger('route') });
    expect((await router.route(testMeta({ host: 'a.com', port: 1 }))).outbound.tag).toBe('block');
    current = RouteSettings.parse({ rules: [rule('domain', 'a.com', 'proxy')] });
    expect((await router.route(testMeta({ host: 'a.com', port: 1 }))).outbound.tag).toBe('proxy');
  });

  it('a matching rule with an unknown outbound rejects with E_CONFIG_INVALID and warns once', async () => {
    const router = routerFor({ final: 'gone', rules: [rule('domain', 'a.com', 'ghost')] });
    for (let i = 0; i < 2; i++) {
      const err = await router.route(testMeta({ host: 'a.com', port: 1 })).catch((e) => e);
      expect(isCoreError(err, 'E_CONFIG_INVALID')).toBe(true);
      expect(err.message).toBe('rule domain(a.com) names unknown outbound "ghost"');
    }
    await expect(router.route(testMeta({ host: 'b.com', port: 1 }))).rejects.toThrow('rule final names unknown outbound "gone"');
    const warns = logs.entries({ limit: 50, level: 'warn' }).map((e) => e.message);
    expect(warns).toEqual(['rule domain(a.com) names unknown outbound "ghost"', 'rule final names unknown outbound "gone"']);
  });

  it('validateRouteSettings lists unknown tags with their paths', () => {
    const s = RouteSettings.parse({ final: 'nope', globalOutbound: 'proxy', rules: [rule('domain', 'a.com'), rule('dst_port', '1', 'foo')] });
    expect(validateRouteSettings(s, ['direct', 'block', 'proxy'])).toEqual(['rules[1].outbound: unknown outbound "foo"', 'final: unknown outbound "nope"']);
    expect(validateRouteSettings(RouteSettings.parse({}), ['direct', 'block'])).toEqual([]);
  });
});
