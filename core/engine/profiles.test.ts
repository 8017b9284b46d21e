import { afterEach, describe, expect, it } from 'vitest';
import { createSocksOutbound } from '../outbound/socks';
import { SocksProfileSpec, type Profile } from '../rpc';
import { waitFor } from '../test/engine-harness';
import { closedPort, curl, payload, sha256, startOrigin, startUdpEcho } from '../test/mixed-harness';
import { cleanupList, profileEngine } from '../test/profiles-harness';

const cleanups = cleanupList();
afterEach(() => cleanups.run());

const socks = (port: number, over: Record<string, unknown> = {}) => ({ type: 'socks' as const, host: '127.0.0.1', port, ...over });
const mixed = (over: Record<string, unknown> = {}) => ({ type: 'mixed' as const, listen: '127.0.0.1:0', ...over });

describe('Outbound profiles over the RPC', () => {
  it('creates, updates and deletes profiles with events, unique names and ids, and keeps them across a restart', async () => {
    const h = await profileEngine(cleanups);
    const events: string[] = [];
    h.client.on('profile', (p) => events.push(`profile:${p.name}`));
    h.client.on('profileRemoved', (r) => events.push(`removed:${r.id}`));

    const a = await h.client.api.createProfile({ name: 'up A', spec: socks(1080) });
    expect(a).toMatchObject({ name: 'up A', source: null, latency: null, spec: { type: 'socks', host: '127.0.0.1', port: 1080, udp: true } });
    expect(a.id).toMatch(/^[0-9a-f]{8}$/);
    const b = await h.client.api.createProfile({ id: 'my-up', name: 'up B', spec: socks(1081, { username: 'u', password: 'p' }) });
    expect(b.id).toBe('my-up');

    const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e) => e.code);
    expect(await codeOf(h.client.api.createProfile({ name: 'up A', spec: socks(1) }))).toBe('E_CONFIG_CONFLICT');
    expect(await codeOf(h.client.api.createProfile({ id: 'my-up', name: 'other', spec: socks(1) }))).toBe('E_CONFIG_CONFLICT');
    expect(await codeOf(h.client.api.createProfile({ id: 'direct', name: 'shadow', spec: socks(1) }))).toBe('E_CONFIG_CONFLICT');
    expect(await codeOf(h.client.api.createProfile({ name: 'bad', spec: socks(1, { username: 'u' }) }))).toBe('E_CONFIG_INVALID');
    expect(await codeOf(h.client.api.updateProfile({ id: b.id, name: 'up A' }))).toBe('E_CONFIG_CONFLICT');
    expect(await codeOf(h.client.api.updateProfile({ id: 'nope', name: 'x' }))).toBe('E_NOT_FOUND');

    const renamed = await h.client.api.updateProfile({ id: a.id, name: 'up A2', spec: socks(2080) });
    expect(renamed).toMatchObject({ id: a.id, name: 'up A2', spec: { port: 2080 }, createdAt: a.createdAt });
    expect(await h.client.api.deleteProfile({ id: b.id })).toEqual({ id: b.id });
    expect(await codeOf(h.client.api.deleteProfile({ id: b.id }))).toBe('E_NOT_FOUND');
    await waitFor(() => events.length >= 4, 2000, 'events');
    expect(events).toEqual(['profile:up A', 'profile:up B', 'profile:up A2', `removed:${b.id}`]);

    await h.close({ keepDir: true });
    const again = await profileEngine(cleanups, { dataDir: h.dataDir });
    expect(await again.client.api.listProfiles()).toEqual([renamed]);
  });

  it('validates routes against profile ids and refuses to delete a profile the route names', async () => {
    const h = await profileEngine(cleanups);
    const p = await h.client.api.createProfile({ name: 'up', spec: socks(1080) });
    const bad = await h.client.api.updateSettings({ route: { mode: 'rule', rules: [{ type: 'domain', value: 'a.com', outbound: 'nope' }] } }).catch((e) => e);
    expect(bad.code).toBe('E_CONFIG_INVALID');
    await h.client.api.updateSettings({ route: { mode: 'rule', rules: [{ type: 'domain', value: 'a.com', outbound: 'direct' }, { type: 'domain', value: 'b.com', outbound: p.id }], final: p.id } });
    const refused = await h.client.api.deleteProfile({ id: p.id }).catch((e) => e);
    expect(refused.code).toBe('E_CONFIG_CONFLICT');
    expect(refused.message).toBe(`profile "up" (${p.id}) is used by settings route.rules[1].outbound, route.final; change the route first`);
    await h.client.api.updateSettings({ route: { mode: 'global', globalOutbound: p.id } });
    expect((await h.client.api.deleteProfile({ id: p.id }).catch((e) => e)).message).toContain('route.globalOutbound');
    await h.client.api.updateSettings({ route: { mode: 'rule' } });
    await h.client.api.deleteProfile({ id: p.id });
    expect(await h.client.api.listProfiles()).toEqual([]);
  });

  it('routes real traffic: curl → mixed (global → socks profile) → another engine\'s mixed (direct) → target, bytes hashed', async () => {
    const upstream = await profileEngine(cleanups);
    const up = await upstream.client.api.createInstance({ name: 'upstream', spec: mixed({ users: [{ username: 'chain', password: 'pw' }] }) });
    const h = await profileEngine(cleanups);
    const local = await h.client.api.createInstance({ name: 'local', spec: mixed() });
    const target = await startOrigin();
    cleanups.add(() => target.close());
    const [, upPort] = up.address!.split(':');
    const p = await h.client.api.createProfile({ name: 'chain', spec: socks(Number(upPort), { username: 'chain', password: 'pw' }) });
    await h.client.api.updateSettings({ route: { mode: 'global', globalOutbound: p.id, lanBypass: false } });

    const n = 3 << 20;
    const r = await curl(['--socks5-hostname', local.address!, `http://127.0.0.1:${target.port}/big?n=${n}`]);
    expect(r.stderr).toBe('');
    expect(sha256(r.stdout)).toBe(sha256(payload(n)));
    const tick = await waitFor(async () => {
      const t = await h.client.api.getStats();
      return (t.outbounds[p.id]?.totalDown ?? 0) >= n ? t : null;
    }, 3000, 'profile outbound stats');
    expect(tick.outbounds[p.id]!.totalDown).toBeGreaterThanOrEqual(n);
    // The upstream engine carried the same bytes for its authenticated user.
    await waitFor(async () => ((await upstream.client.api.getStats()).instances[up.id]?.totalDown ?? 0) >= n, 3000, 'upstream stats');

    // UDP: a SOCKS5 UDP client → local mixed → socks profile (UDP ASSOCIATE) → upstream → echo.
    const echo = await startUdpEcho();
    cleanups.add(() => echo.close());
    const client = createSocksOutbound('client', SocksProfileSpec.parse({ type: 'socks', host: '127.0.0.1', port: Number(local.address!.split(':')[1]) }), { log: h.engine.log });
    const conn = await client.openUdp({ id: 'u1', instanceId: 'test', inbound: 'test', network: 'udp', source: { address: '127.0.0.1', port: 0 }, destination: { host: '127.0.0.1', port: echo.port }, user: null });
    cleanups.add(() => conn.close());
    const replies: string[] = [];
    conn.onMessage((m) => replies.push(m.toString()));
    await waitFor(() => {
      if (replies.length === 0) conn.send(Buffer.from('dgram'), { host: '127.0.0.1', port: echo.port });
      return replies.length > 0;
    }, 3000, 'udp echo through the chain');
    expect(replies[0]).toBe('echo:dgram');
    await waitFor(async () => (await h.client.api.listConnections({})).some((c) => c.network === 'udp' && c.outbound === p.id), 3000, 'udp via the profile');

    // A new spec replaces the cached outbound: new connections use it at once.
    await h.client.api.updateProfile({ id: p.id, spec: socks(await closedPort()) });
    expect((await curl(['--socks5-hostname', local.address!, `http://127.0.0.1:${target.port}/big?n=10`])).code).not.toBe(0);
    await h.client.api.updateProfile({ id: p.id, spec: socks(Number(upPort), { username: 'chain', password: 'pw' }) });
    expect(sha256((await curl(['-x', `http://${local.address}`, `http://127.0.0.1:${target.port}/big?n=1000`])).stdout)).toBe(sha256(payload(1000)));
  });

  it('applies and exports profiles in configuration files (routes may name profiles of the same file; prune after routes)', async () => {
    const h = await profileEngine(cleanups);
    const res = await h.client.api.applyConfig({
      settings: { route: { mode: 'rule', rules: [{ type: 'domain_suffix', value: 'example.com', outbound: 'up1' }], final: 'direct' } },
      profiles: [{ id: 'up1', name: 'one', spec: socks(1080) }, { name: 'two', spec: socks(1081) }],
    });
    const list: Profile[] = await h.client.api.listProfiles();
    expect(list.map((p) => [p.id === 'up1' ? 'up1' : 'generated', p.name])).toEqual([['up1', 'one'], ['generated', 'two']]);
    expect(res).toEqual({ created: list.map((p) => p.id), updated: [], deleted: [] });

    const exported = await h.client.api.exportConfig();
    expect(exported.profiles).toEqual(list.map((p) => ({ id: p.id, name: p.name, spec: p.spec })));
    expect(await h.client.api.applyConfig(exported)).toEqual({ created: [], updated: [], deleted: [] });

    // Names may swap within one file.
    const swapped = await h.client.api.applyConfig({ profiles: [{ id: 'up1', name: 'two', spec: socks(1080) }, { id: list[1]!.id, name: 'one', spec: socks(1081) }] });
    expect(swapped.updated.sort()).toEqual([list[1]!.id, 'up1'].sort());

    const stillRouted = await h.client.api.applyConfig({ prune: true, profiles: [] }).catch((e) => e);
    expect(stillRouted.code).toBe('E_CONFIG_INVALID');
    expect(stillRouted.message).toContain('prune: profile up1 would be deleted but settings route.rules[0].outbound names it');
    const badRoute = await h.client.api.applyConfig({ settings: { route: { final: 'ghost' } }, profiles: [{ name: 'x', spec: socks(1) }] }).catch((e) => e);
    expect(badRoute.message).toContain('settings.route.final: unknown outbound "ghost"');
    const dup = await h.client.api.applyConfig({ profiles: [{ name: 'd', spec: socks(1) }, { name: 'd', spec: socks(2) }, { id: 'block', name: 'b', spec: socks(3) }] }).catch((e) => e);
    expect(dup.message).toContain('profiles[1].name: duplicate name "d"');
    expect(dup.message).toContain('profiles[2].id: "block" is a builtin outbound tag');
    expect((await h.client.api.listProfiles()).length).toBe(2);

    const removed: string[] = [];
    h.client.on('profileRemoved', (r) => removed.push(r.id));
    const pruned = await h.client.api.applyConfig({ prune: true, settings: { route: { mode: 'rule', final: 'direct' } }, profiles: [] });
    expect(pruned.deleted.sort()).toEqual(list.map((p) => p.id).sort());
    expect(await h.client.api.listProfiles()).toEqual([]);
    await waitFor(() => removed.length === 2, 2000, 'removed events');
  });
});
