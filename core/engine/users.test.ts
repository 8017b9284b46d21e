import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseVlessLink } from '../codec/vless-link';
import { startEngine, waitFor, type EngineHarness } from '../test/engine-harness';
import { ALICE, BOB, CAROL, liveClient, startRelay, stillRelays } from '../test/users-harness';
import { rawClient, startEcho, vlessHeader, type RawClient } from '../test/vless-in-harness';

let echo: Awaited<ReturnType<typeof startEcho>>;
let h: EngineHarness | null = null;
const clients: RawClient[] = [];

beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => { await echo.close(); });
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await h?.close();
  h = null;
});

async function live(port: number, uuid: string): Promise<RawClient> {
  const c = await liveClient(port, uuid, echo.port);
  clients.push(c);
  return c;
}

async function refused(port: number, uuid: string): Promise<void> {
  const c = await rawClient(port);
  clients.push(c);
  c.write(Buffer.concat([vlessHeader(uuid, echo.port), Buffer.from('ping')]));
  await c.closed;
  expect(c.received()).toHaveLength(0);
}

describe('CoreApi users methods (over /rpc)', () => {
  it('lists users with live figures and vless links', async () => {
    h = await startEngine();
    const { id, port } = await startRelay(h);
    await live(port, ALICE);
    const users = await h.client.api.listUsers({ instanceId: id });
    expect(users.map((u) => u.name)).toEqual(['alice', 'bob']);
    expect(users[0]).toMatchObject({ uuid: ALICE, connections: 1, activeIps: ['127.0.0.1'], enabled: true });
    const link = parseVlessLink(users[0]!.links[0]!);
    expect(link.ok && link.profile).toMatchObject({ uuid: ALICE, host: '127.0.0.1', port, name: 'alice', tls: null });
    expect(await h.client.api.getUser({ instanceId: id, name: 'bob' })).toMatchObject({ name: 'bob', connections: 0 });
  });

  it('applies changes live: other users keep their connections, no restart', async () => {
    h = await startEngine();
    const { id, port } = await startRelay(h);
    const before = await h.client.api.getInstance({ id });
    const alice = await live(port, ALICE);
    const bob = await live(port, BOB);

    const carol = await h.client.api.createUser({ instanceId: id, user: { name: 'carol', uuid: CAROL.toUpperCase() } });
    expect(carol.uuid).toBe(CAROL);
    await live(port, CAROL);

    await h.client.api.setUserEnabled({ instanceId: id, name: 'bob', enabled: false });
    await bob.closed;
    await refused(port, BOB);
    expect(await stillRelays(alice)).toBe(true);

    await h.client.api.deleteUser({ instanceId: id, name: 'carol' });
    await refused(port, CAROL);
    expect(await stillRelays(alice)).toBe(true);

    const after = await h.client.api.getInstance({ id });
    expect(after.startedAt).toBe(before.startedAt);
    expect(after.spec.type === 'vless' && after.spec.users.map((u) => [u.name, u.enabled])).toEqual([['alice', true], ['bob', false]]);
    // Persisted: a fresh read of the store after a restart of the engine keeps the users.
    const dataDir = h.dataDir;
    await h.close({ keepDir: true });
    h = await startEngine({ dataDir });
    expect((await h.client.api.listUsers({ instanceId: id })).map((u) => [u.name, u.enabled])).toEqual([['alice', true], ['bob', false]]);
  });

  it('rotates a uuid: old id refused and its sessions closed, new id accepted', async () => {
    h = await startEngine();
    const { id, port } = await startRelay(h);
    const bob = await live(port, BOB);
    const alice = await live(port, ALICE);
    const u = await h.client.api.rotateUserUuid({ instanceId: id, name: 'alice' });
    expect(u.uuid).not.toBe(ALICE);
    await alice.closed;
    await refused(port, ALICE);
    await live(port, u.uuid);
    expect(await stillRelays(bob)).toBe(true);
    expect((await h.client.api.rotateUserUuid({ instanceId: id, name: 'alice', uuid: CAROL })).uuid).toBe(CAROL);
  });

  it('merge-patches: omitted keep, null clears; limits apply to new connections', async () => {
    h = await startEngine();
    const { id, port } = await startRelay(h);
    await h.client.api.updateUser({ instanceId: id, name: 'alice', patch: { maxConnections: 1, email: 'a@example.com' } });
    let u = await h.client.api.updateUser({ instanceId: id, name: 'alice', patch: { quotaBytes: 1000 } });
    expect(u).toMatchObject({ maxConnections: 1, email: 'a@example.com', quotaBytes: 1000 });
    await live(port, ALICE);
    await refused(port, ALICE);
    u = await h.client.api.updateUser({ instanceId: id, name: 'alice', patch: { maxConnections: null } });
    expect(u).toMatchObject({ maxConnections: null, email: 'a@example.com', quotaBytes: 1000 });
    await live(port, ALICE);
  });

  it('resets a quota counter', async () => {
    h = await startEngine({ statsIntervalMs: 100 });
    const { id, port } = await startRelay(h);
    const c = await live(port, ALICE);
    c.destroy();
    await waitFor(async () => (await h!.client.api.getUser({ instanceId: id, name: 'alice' })).usedUp > 0, 5000, 'counted bytes');
    const u = await h.client.api.resetUserQuota({ instanceId: id, name: 'alice' });
    expect(u.usedUp + u.usedDown).toBe(0);
    expect(u.lastResetAt).toBeGreaterThan(0);
  });

  it('reports E_NOT_FOUND, E_CONFIG_CONFLICT and E_CONFIG_INVALID', async () => {
    h = await startEngine();
    const { id } = await startRelay(h);
    await h.client.api.createInstance({ id: 'mixed1', name: 'mixed', spec: { type: 'mixed', listen: '127.0.0.1:0' }, start: false });
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
    expect(await code(h.client.api.listUsers({ instanceId: 'nope' }))).toBe('E_NOT_FOUND');
    expect(await code(h.client.api.getUser({ instanceId: id, name: 'zed' }))).toBe('E_NOT_FOUND');
    expect(await code(h.client.api.deleteUser({ instanceId: id, name: 'zed' }))).toBe('E_NOT_FOUND');
    expect(await code(h.client.api.createUser({ instanceId: id, user: { name: 'alice' } }))).toBe('E_CONFIG_CONFLICT');
    expect(await code(h.client.api.createUser({ instanceId: id, user: { name: 'al2', uuid: BOB } }))).toBe('E_CONFIG_CONFLICT');
    expect(await code(h.client.api.rotateUserUuid({ instanceId: id, name: 'alice', uuid: BOB }))).toBe('E_CONFIG_CONFLICT');
    expect(await code(h.client.api.listUsers({ instanceId: 'mixed1' }))).toBe('E_CONFIG_INVALID');
    expect((await h.client.api.listUsers({ instanceId: id })).map((u) => u.uuid)).toEqual([ALICE, BOB]);
  });

  it('edits a stopped relay (persisted; no live figures; reset-quota refused)', async () => {
    h = await startEngine();
    const { id } = await startRelay(h);
    await h.client.api.stopInstance({ id });
    await h.client.api.createUser({ instanceId: id, user: { name: 'carol' } });
    const users = await h.client.api.listUsers({ instanceId: id });
    expect(users.map((u) => u.name)).toEqual(['alice', 'bob', 'carol']);
    expect(users[2]!.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(users[0]!.links).toEqual([]); // port 0 and not bound: no address to share
    await expect(h.client.api.resetUserQuota({ instanceId: id, name: 'alice' })).rejects.toMatchObject({ code: 'E_STATE_TRANSITION' });
    const started = await h.client.api.startInstance({ id });
    expect(started.state).toBe('running');
  });
});
