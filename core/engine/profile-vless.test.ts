import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { curl, payload, sha256, startOrigin } from '../test/mixed-harness';
import { cleanupList, profileEngine, startTextServer, vlessLink } from '../test/profiles-harness';
import { ALICE, cleanupVlessRigDirs, relayUser, startVlessRig, until, userBytes, type VlessRig } from '../test/vless-in-harness';

const cleanups = cleanupList();
afterEach(() => cleanups.run());
afterAll(() => cleanupVlessRigDirs());

async function relay(spec: Record<string, unknown>): Promise<VlessRig> {
  const rig = await startVlessRig({ users: [relayUser('alice', ALICE)], ...spec });
  cleanups.add(() => rig.close());
  return rig;
}

describe('VLESS profiles in the engine', () => {
  it.each([
    ['tcp', {}, 'type=tcp&security=none'],
    ['ws + tls (self-signed, insecure)', { transport: { type: 'ws', path: '/v' }, tls: { selfSignedNames: ['localhost'] } }, 'type=ws&path=%2Fv&security=tls&sni=localhost&allowInsecure=1'],
  ])('imports a link and carries curl traffic over %s to a RelayDesk relay, bytes hashed', async (_name, spec, query) => {
    const rig = await relay(spec);
    const target = await startOrigin();
    cleanups.add(() => target.close());
    const h = await profileEngine(cleanups);
    const local = await h.client.api.createInstance({ name: 'local', spec: { type: 'mixed', listen: '127.0.0.1:0' } });
    const imported = await h.client.api.importProfiles({ text: vlessLink(ALICE, `127.0.0.1:${rig.port}`, query, 'relay') });
    expect(imported.errors).toEqual([]);
    const p = imported.created[0]!;
    await h.client.api.updateSettings({ route: { mode: 'global', globalOutbound: p.id, lanBypass: false } });

    const n = 2 << 20;
    const r = await curl(['--socks5-hostname', local.address!, `http://127.0.0.1:${target.port}/big?n=${n}`]);
    expect(r.stderr).toBe('');
    expect(sha256(r.stdout)).toBe(sha256(payload(n)));
    await until(() => userBytes(rig, 'alice').down >= n, 'the relay to count alice\'s bytes', 3000);

    const page = await startTextServer({ '/204': '' });
    cleanups.add(() => page.close());
    const latency = await h.client.api.testProfile({ id: p.id, url: `${page.url}/204` });
    expect(latency).toMatchObject({ error: null, connectMs: expect.any(Number), httpMs: expect.any(Number) });
  });

  it('reports a relay that refuses the UUID in the latency test, without throwing', async () => {
    const rig = await relay({});
    const page = await startTextServer({ '/204': '' });
    cleanups.add(() => page.close());
    const h = await profileEngine(cleanups);
    const p = await h.client.api.createProfile({ name: 'stranger', spec: { type: 'vless', host: '127.0.0.1', port: rig.port, uuid: '00000000-0000-4000-8000-000000000000' } });
    const latency = await h.client.api.testProfile({ id: p.id, url: `${page.url}/204`, timeoutMs: 2000 });
    expect(latency.connectMs).toEqual(expect.any(Number));
    expect(latency.httpMs).toBeNull();
    expect(latency.error?.message).toMatch(/^HTTP request through the profile: /);
    expect(page.hits.get('/204')).toBeUndefined();
  });
});
