import { afterEach, describe, expect, it } from 'vitest';
import { parseVlessLink } from '../codec/vless-link';
import type { ImportResult } from '../rpc';
import { UUID_A, UUID_B, cleanupList, profileEngine, startTextServer, vlessLink } from '../test/profiles-harness';

const cleanups = cleanupList();
afterEach(() => cleanups.run());

describe('Profile import and share links over the RPC', () => {
  it('imports the valid links of a text, with per-line warnings and errors, unique names and host:port fallbacks', async () => {
    const h = await profileEngine(cleanups);
    await h.client.api.createProfile({ name: 'Tokyo', spec: { type: 'socks', host: '127.0.0.1', port: 1080 } });
    const text = [
      vlessLink(UUID_A, 'tokyo.example.com:443', 'type=ws&security=tls&sni=cdn.example.com&path=%2Fws&host=cdn.example.com&fp=chrome', 'Tokyo'),
      '',
      vlessLink(UUID_B, 'tokyo.example.com:8443', 'type=tcp&security=none', 'Tokyo'),
      vlessLink(UUID_A, 'reality.example.com:443', 'type=tcp&security=reality&pbk=x&flow=xtls-rprx-vision', 'Reality'),
      'vmess://eyJhZGQiOiJ4In0=',
      '# a comment',
      vlessLink(UUID_B, '[2001:db8::1]:8080'),
      'just some words',
    ].join('\n');
    const r: ImportResult = await h.client.api.importProfiles({ text });
    expect(r.created.map((p) => [p.name, p.spec.host, p.source])).toEqual([
      ['Tokyo (2)', 'tokyo.example.com', null],
      ['Tokyo (3)', 'tokyo.example.com', null],
      ['[2001:db8::1]:8080', '2001:db8::1', null],
    ]);
    expect(r.created[0]!.spec).toEqual({
      type: 'vless', host: 'tokyo.example.com', port: 443, uuid: UUID_A, udp: true,
      transport: { type: 'ws', path: '/ws', host: 'cdn.example.com' },
      tls: { sni: 'cdn.example.com', alpn: [], insecure: false },
    });
    expect(r.warnings).toEqual([{ line: 1, message: expect.stringContaining('fingerprint fp=chrome ignored') }]);
    expect(r.errors.map((e) => e.line)).toEqual([4, 5, 8]);
    expect(r.errors[0]!.message).toMatch(/XTLS Vision|reality/i);
    expect(r.errors[1]!.message).toContain('vmess:// is not supported');
    expect(r.errors[2]!.message).toContain('not a share link');
    expect((await h.client.api.listProfiles()).map((p) => p.name)).toEqual(['Tokyo', 'Tokyo (2)', 'Tokyo (3)', '[2001:db8::1]:8080']);

    const nothing = await h.client.api.importProfiles({ text: 'vmess://abc\n' });
    expect(nothing).toEqual({ created: [], warnings: [], errors: [{ line: 1, message: expect.stringContaining('vmess') }] });
  });

  it('exports share links that parse back to the same profile (vless) and socks:// links', async () => {
    const h = await profileEngine(cleanups);
    const [ws] = (await h.client.api.importProfiles({ text: vlessLink(UUID_A, 'a.example.com:443', 'type=ws&security=tls&sni=s.example.com&alpn=h2%2Chttp%2F1.1&allowInsecure=1&path=%2Fp%3Fed%3D1', 'Ws & TLS') })).created;
    const { link } = await h.client.api.exportProfileLink({ id: ws!.id });
    const back = parseVlessLink(link);
    expect(back.ok && back.profile).toEqual({
      name: 'Ws & TLS', uuid: UUID_A, host: 'a.example.com', port: 443,
      transport: { type: 'ws', path: '/p?ed=1', host: '' }, tls: { sni: 's.example.com', alpn: ['h2', 'http/1.1'], insecure: true },
    });
    const again = await h.client.api.importProfiles({ text: link });
    expect(again.created[0]!.spec).toEqual(ws!.spec);

    const plain = await h.client.api.createProfile({ name: 'plain', spec: { type: 'vless', host: '10.0.0.1', port: 80, uuid: UUID_B } });
    expect((await h.client.api.exportProfileLink({ id: plain.id })).link).toBe(`vless://${UUID_B}@10.0.0.1:80?encryption=none&security=none&type=tcp#plain`);
    const s1 = await h.client.api.createProfile({ name: 'up stream', spec: { type: 'socks', host: '::1', port: 1080, username: 'me@x', password: 'p:w/d' } });
    expect((await h.client.api.exportProfileLink({ id: s1.id })).link).toBe('socks://me%40x:p%3Aw%2Fd@[::1]:1080#up%20stream');
    const s2 = await h.client.api.createProfile({ name: 'open', spec: { type: 'socks', host: 'proxy.lan', port: 1080 } });
    expect((await h.client.api.exportProfileLink({ id: s2.id })).link).toBe('socks://proxy.lan:1080#open');
    expect((await h.client.api.exportProfileLink({ id: 'nope' }).catch((e) => e)).code).toBe('E_NOT_FOUND');
  });

  it('imports a base64 subscription from a URL and refreshes it in place on re-import', async () => {
    let links = [
      vlessLink(UUID_A, 'one.example.com:443', 'security=tls', 'One'),
      '',
      vlessLink(UUID_A, 'two.example.com:443', 'security=tls&fp=firefox', 'Two'),
      'trojan://secret@three.example.com:443#Three',
    ];
    const server = await startTextServer({ '/sub': () => Buffer.from(links.join('\r\n')).toString('base64') });
    cleanups.add(() => server.close());
    const h = await profileEngine(cleanups);
    const url = `${server.url}/sub`;
    const first = await h.client.api.importSubscription({ url });
    expect(first.created.map((p) => [p.name, p.source])).toEqual([['One', url], ['Two', url]]);
    expect(first.warnings).toEqual([{ line: 3, message: expect.stringContaining('fp=firefox') }]);
    expect(first.errors).toEqual([{ line: 4, message: expect.stringContaining('trojan:// is not supported') }]);
    await h.client.api.updateSettings({ route: { mode: 'global', globalOutbound: first.created[1]!.id } });

    links = [vlessLink(UUID_B, 'two.example.com:8443', 'security=tls', 'Two'), links[0]!, vlessLink(UUID_A, 'four.example.com:443', '', 'Four')];
    const changed: string[] = [];
    h.client.on('profile', (p) => changed.push(p.name));
    const second = await h.client.api.importSubscription({ url });
    expect(second.created.map((p) => p.name)).toEqual(['Four']);
    const all = await h.client.api.listProfiles();
    expect(all.map((p) => p.name)).toEqual(['One', 'Two', 'Four']);
    expect(all[1]).toMatchObject({ id: first.created[1]!.id, spec: { port: 8443, uuid: UUID_B } });
    expect(all[0]).toEqual(first.created[0]);
    expect(server.hits.get('/sub')).toBe(2);

    // A manual import of the same links does not touch the subscription's profiles.
    const manual = await h.client.api.importProfiles({ text: links[1]! });
    expect(manual.created.map((p) => [p.name, p.source])).toEqual([['One (2)', null]]);

    const missing = await h.client.api.importSubscription({ url: `${server.url}/gone` }).catch((e) => e);
    expect(missing.code).toBe('E_DIAL_FAILED');
    expect(missing.message).toBe(`GET ${server.url}/gone: HTTP 404 Not Found`);
    expect((await h.client.api.importSubscription({ url: 'ftp://x/y' }).catch((e) => e)).code).toBe('E_CONFIG_INVALID');
  });
});
