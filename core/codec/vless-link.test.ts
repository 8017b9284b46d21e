import { describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { GOOD_LINKS, UUID, UUID_HEX } from '../test/vless-fixtures';
import { emitVlessLink, parseVlessLink, type VlessLinkResult, type VlessProfile } from './vless-link';

const base = `vless://${UUID}@example.com:443`;

function okOf(r: VlessLinkResult) {
  if (!r.ok) throw new Error(`expected ok, got error: ${r.error}`);
  return r;
}

function errorOf(link: string): string {
  const r = parseVlessLink(link);
  if (r.ok) throw new Error(`expected an error for ${link}`);
  return r.error;
}

describe('parseVlessLink', () => {
  it('reads the links real clients write', () => {
    expect(parseVlessLink(GOOD_LINKS[0]!)).toEqual({
      ok: true,
      profile: {
        name: 'TCP TLS', uuid: UUID, host: 'example.com', port: 443, transport: { type: 'tcp' },
        tls: { sni: 'example.com', alpn: ['h2', 'http/1.1'], insecure: false },
      },
      warnings: ['fingerprint fp=chrome ignored: Node\'s own TLS ClientHello is sent'],
    });
    const ws = okOf(parseVlessLink(GOOD_LINKS[1]!));
    expect(ws.profile).toMatchObject({ name: 'WS 日本', transport: { type: 'ws', path: '/ws?ed=2048', host: 'cdn.example.net' }, tls: { sni: 'cdn.example.net' } });
    expect(ws.warnings).toEqual([expect.stringContaining('early data')]);
    expect(okOf(parseVlessLink(GOOD_LINKS[2]!))).toEqual({
      ok: true, warnings: [],
      profile: { name: 'v6', uuid: UUID, host: '2001:db8::1', port: 8443, transport: { type: 'ws', path: '/vless', host: '' }, tls: null },
    });
    expect(okOf(parseVlessLink(GOOD_LINKS[3]!)).profile).toEqual({ name: 'plain', uuid: UUID, host: '1.2.3.4', port: 80, transport: { type: 'tcp' }, tls: null });
  });

  it('applies the defaults and normalizes uuid and host', () => {
    const r = okOf(parseVlessLink(`  VLESS://${UUID_HEX.toUpperCase()}@Example.COM:0443/?security=tls&type=ws  `));
    expect(r.profile).toEqual({ name: '', uuid: UUID, host: 'example.com', port: 443, transport: { type: 'ws', path: '/', host: '' }, tls: { sni: '', alpn: [], insecure: false } });
    expect(r.warnings).toEqual([]);
    expect(okOf(parseVlessLink(`vless://${UUID}@b%C3%BCcher.de:443`)).profile.host).toBe('xn--bcher-kva.de');
    expect(okOf(parseVlessLink(`vless://${UUID}@[2001:DB8::1]:443`)).profile.host).toBe('2001:db8::1');
  });

  it('percent-decodes path, host header, sni, alpn and name; "+" stays a plus', () => {
    const r = okOf(parseVlessLink(`${base}?type=ws&path=%2Fa%20b%2Bc%3Fq%3D1&host=h.example&security=tls&sni=s.example&alpn=http%2F1.1#caf%C3%A9+%F0%9F%9A%80`));
    expect(r.profile.transport).toEqual({ type: 'ws', path: '/a b+c?q=1', host: 'h.example' });
    expect(r.profile.tls).toEqual({ sni: 's.example', alpn: ['http/1.1'], insecure: false });
    expect(r.profile.name).toBe('café+🚀');
  });

  it('reads allowInsecure (and the alias insecure) as 1/true/0/false', () => {
    const insecure = (q: string) => okOf(parseVlessLink(`${base}?security=tls&${q}`)).profile.tls?.insecure;
    expect(insecure('allowInsecure=1')).toBe(true);
    expect(insecure('allowInsecure=true')).toBe(true);
    expect(insecure('allowInsecure=0')).toBe(false);
    expect(insecure('allowInsecure=false')).toBe(false);
    expect(insecure('insecure=1')).toBe(true);
    const odd = okOf(parseVlessLink(`${base}?security=tls&allowInsecure=yes`));
    expect(odd.profile.tls?.insecure).toBe(false);
    expect(odd.warnings).toEqual([expect.stringContaining('certificates are verified')]);
  });

  it('errors where the profile could not work (the error half of the table)', () => {
    const cases: [string, RegExp][] = [
      ['?security=reality&pbk=abc&sid=12&spx=%2F&fp=chrome', /REALITY/],
      ['?security=xtls&flow=xtls-rprx-direct', /legacy XTLS/],
      ['?security=ssl', /security "ssl" is not supported/],
      ['?security=tls&flow=xtls-rprx-vision', /XTLS Vision.*refuses/],
      ['?flow=xtls-rprx-vision-udp443', /XTLS Vision/],
      ['?flow=xtls-rprx-origin', /flow "xtls-rprx-origin" is not supported/],
      ['?encryption=mlkem768x25519plus.native.0rtt.abc', /encryption "mlkem768x25519plus/],
      ['?encryption=auto', /encryption "auto"/],
      ['?type=tcp&headerType=http&host=a.example', /HTTP obfuscation/],
      ['?type=tcp&headerType=srtp', /headerType "srtp"/],
      ['?path=%E0%A4%A', /not valid percent-encoding/],
    ];
    for (const t of ['grpc', 'h2', 'http', 'quic', 'kcp', 'httpupgrade', 'xhttp', 'splithttp']) cases.push([`?type=${t}`, new RegExp(`type=${t} is not supported`)]);
    cases.push(['?type=carrier-pigeon', /unknown transport type "carrier-pigeon"/]);
    for (const [query, message] of cases) expect(errorOf(`${base}${query}`), query).toMatch(message);
    expect(errorOf(`${base}?security=reality&type=grpc`)).toMatch(/REALITY.*; transport type=grpc/);
  });

  it('errors on a malformed server part', () => {
    expect(errorOf(`vmess://${UUID}@example.com:443`)).toBe('unsupported scheme "vmess://" (only vless:// links)');
    expect(errorOf('example.com:443')).toMatch(/no "scheme:\/\/"/);
    expect(errorOf('vless://example.com:443')).toMatch(/no user id/);
    expect(errorOf('vless://@example.com:443')).toMatch(/user id is empty/);
    expect(errorOf(`vless://${'z'.repeat(36)}@example.com:443`)).toMatch(/is not a UUID/);
    expect(errorOf(`vless://${'x'.repeat(31)}@example.com:443`)).toMatch(/nor an Xray custom id/);
    expect(errorOf(`vless://${UUID}@example.com`)).toMatch(/port is missing/);
    expect(errorOf(`vless://${UUID}@example.com:0`)).toMatch(/port "0" is not in 1\.\.65535/);
    expect(errorOf(`vless://${UUID}@example.com:65536`)).toMatch(/65536/);
    expect(errorOf(`vless://${UUID}@example.com:44x`)).toMatch(/"44x"/);
    expect(errorOf(`vless://${UUID}@:443`)).toMatch(/host is empty/);
    expect(errorOf(`vless://${UUID}@2001:db8::1:443`)).toMatch(/must be in brackets/);
    expect(errorOf(`vless://${UUID}@[2001:db8::1]443`)).toMatch(/port is missing/);
    expect(errorOf(`vless://${UUID}@[example.com]:443`)).toMatch(/not an IPv6 address/);
    expect(errorOf(`vless://${UUID}@[::1:443`)).toMatch(/unclosed/);
    expect(errorOf(`vless://${UUID}@exa%20mple.com:443`)).toMatch(/not a valid host name/);
  });

  it('warns about what it ignores (the warning half of the table)', () => {
    const warningsOf = (query: string) => okOf(parseVlessLink(`${base}${query}`)).warnings;
    expect(warningsOf('?security=tls&fp=firefox')).toEqual([expect.stringMatching(/fp=firefox ignored/)]);
    expect(warningsOf('?spx=%2F&pbk=abc')).toEqual([expect.stringMatching(/^pbk ignored \(a REALITY/), expect.stringMatching(/^spx ignored/)]);
    expect(warningsOf('?sni=a.example&alpn=h2')).toEqual([expect.stringMatching(/^sni ignored because security is not tls/), expect.stringMatching(/^alpn ignored/)]);
    expect(warningsOf('?type=tcp&host=a.example&path=%2Fx&headerType=none')).toEqual([expect.stringMatching(/^host "a.example" ignored/), expect.stringMatching(/^path "\/x" ignored/)]);
    expect(warningsOf('?type=ws&headerType=http')).toEqual([expect.stringMatching(/headerType "http" ignored/)]);
    expect(warningsOf('?type=ws&path=ws')).toEqual([expect.stringMatching(/does not start with "\/"/)]);
    expect(okOf(parseVlessLink(`${base}?type=ws&path=ws`)).profile.transport).toEqual({ type: 'ws', path: '/ws', host: '' });
    expect(warningsOf('?security=tls&type=ws&alpn=h2')).toEqual([expect.stringMatching(/WebSocket needs HTTP\/1\.1/)]);
    expect(warningsOf('?packetEncoding=xudp')).toEqual([expect.stringMatching(/plain VLESS UDP/)]);
    expect(warningsOf('?security=tls&pcs=ab12&ech=AEX')).toEqual([expect.stringMatching(/^ech ignored/), expect.stringMatching(/^pcs ignored/)]);
    expect(warningsOf('?serviceName=grpc1&mode=gun')).toEqual([expect.stringMatching(/^serviceName ignored/), expect.stringMatching(/^mode ignored/)]);
    expect(warningsOf('?foo=bar&type=tcp&type=tcp')).toEqual([expect.stringMatching(/"type" appears more than once/), 'unknown parameter "foo" ignored']);
    expect(warningsOf('?security=none&flow=&encryption=none&headerType=none#a%ZZb')).toEqual([expect.stringMatching(/name is not valid percent-encoding/)]);
    expect(okOf(parseVlessLink(`${base}#a%ZZb`)).profile.name).toBe('a%ZZb');
    expect(warningsOf('/extra/path')).toEqual([expect.stringMatching(/link path "\/extra\/path" is ignored/)]);
  });

  it("accepts an Xray custom id, mapped as Xray maps it, with a warning", () => {
    const r = okOf(parseVlessLink(`vless://${encodeURIComponent('我爱🍉老师1314')}@example.com:443`));
    expect(r.profile.uuid).toBe('5783a3e7-e373-51cd-8642-c83782b807c5');
    expect(r.warnings).toEqual([expect.stringContaining('Xray custom id')]);
  });
});

describe('emitVlessLink', () => {
  const profiles: VlessProfile[] = [
    { name: '', uuid: UUID, host: '1.2.3.4', port: 80, transport: { type: 'tcp' }, tls: null },
    { name: 'TLS · 東京 #1 & 100%', uuid: UUID, host: 'example.com', port: 443, transport: { type: 'tcp' }, tls: { sni: 'front.example', alpn: ['h2', 'http/1.1'], insecure: true } },
    { name: 'ws', uuid: UUID, host: '2001:db8::1', port: 8443, transport: { type: 'ws', path: '/p a/th?x=1&y=%', host: 'cdn.example' }, tls: { sni: '', alpn: [], insecure: false } },
    { name: 'ws plain', uuid: UUID, host: 'xn--bcher-kva.de', port: 8080, transport: { type: 'ws', path: '/', host: '' }, tls: null },
  ];

  it('writes the de-facto format', () => {
    expect(emitVlessLink(profiles[1]!)).toBe(
      `vless://${UUID}@example.com:443?encryption=none&security=tls&sni=front.example&alpn=h2%2Chttp%2F1.1&allowInsecure=1&type=tcp#TLS%20%C2%B7%20%E6%9D%B1%E4%BA%AC%20%231%20%26%20100%25`,
    );
    expect(emitVlessLink(profiles[2]!)).toBe(`vless://${UUID}@[2001:db8::1]:8443?encryption=none&security=tls&type=ws&host=cdn.example&path=%2Fp%20a%2Fth%3Fx%3D1%26y%3D%25#ws`);
  });

  it('round-trips: parse(emit(profile)) gives the same profile and no warnings', () => {
    for (const profile of profiles) expect(parseVlessLink(emitVlessLink(profile))).toEqual({ ok: true, profile, warnings: [] });
  });

  it('round-trips what it parsed from real links', () => {
    for (const link of GOOD_LINKS) {
      const { profile } = okOf(parseVlessLink(link));
      expect(okOf(parseVlessLink(emitVlessLink(profile))).profile).toEqual(profile);
    }
  });

  it('refuses a profile that could not be read back', () => {
    const p = profiles[0]!;
    const bad: [Partial<VlessProfile>, RegExp][] = [
      [{ uuid: 'nope' }, /uuid "nope"/],
      [{ port: 0 }, /port 0/],
      [{ host: '' }, /host ""/],
      [{ host: 'a b' }, /host "a b"/],
      [{ host: '::1%eth0' }, /host/],
      [{ transport: { type: 'ws', path: 'x', host: '' } }, /path "x"/],
    ];
    for (const [patch, message] of bad) {
      let err: unknown;
      try {
        emitVlessLink({ ...p, ...patch });
      } catch (e) {
        err = e;
      }
      expect(isCoreError(err, 'E_CONFIG_INVALID'), JSON.stringify(patch)).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });
});
