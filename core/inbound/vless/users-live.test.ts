import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAROL, stillRelays } from '../../test/users-harness';
import {
  ALICE, BOB, cleanupVlessRigDirs, rawClient, relayUser, startEcho, startVlessRig, until, userBytes, vlessHeader, type RawClient, type VlessRig,
} from '../../test/vless-in-harness';

let echo: Awaited<ReturnType<typeof startEcho>>;
const rigs: VlessRig[] = [];
const clients: RawClient[] = [];

beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => {
  await echo.close();
  cleanupVlessRigDirs();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const r of rigs.splice(0)) await r.close();
});

async function live(r: VlessRig, uuid: string): Promise<RawClient> {
  const c = await rawClient(r.port);
  clients.push(c);
  c.write(Buffer.concat([vlessHeader(uuid, echo.port), Buffer.from('ping')]));
  await c.waitBytes(6);
  return c;
}

async function refused(r: VlessRig, uuid: string): Promise<void> {
  const c = await rawClient(r.port);
  clients.push(c);
  c.write(Buffer.concat([vlessHeader(uuid, echo.port), Buffer.from('ping')]));
  await c.closed;
  expect(c.received()).toHaveLength(0);
}

describe('VlessRunner.setUsers', () => {
  it('swaps users without a restart: removed users lose their sessions, the others keep theirs and their counters', async () => {
    const r = await startVlessRig({ users: [relayUser('alice', ALICE), relayUser('bob', BOB)] });
    rigs.push(r);
    const alice = await live(r, ALICE);
    const bob = await live(r, BOB);
    await until(() => userBytes(r, 'alice').up > 0, 'alice counted');
    const counted = userBytes(r, 'alice');

    const closed = r.runner.setUsers([relayUser('alice', ALICE, { maxConnections: 1 }), relayUser('carol', CAROL)]);
    expect(closed).toBe(1);
    await bob.closed;
    expect(await stillRelays(alice)).toBe(true);
    await refused(r, BOB);
    await refused(r, ALICE); // the new maxConnections applies to new connections
    await live(r, CAROL);
    expect(r.runner.users().map((u) => [u.name, u.connections])).toEqual([['alice', 1], ['carol', 1]]);
    expect(userBytes(r, 'alice').up).toBeGreaterThanOrEqual(counted.up);
    await until(() => userBytes(r, 'carol').up > 0, 'carol counted');
    expect(r.runner.address()).toBe(`${r.host}:${r.port}`);
  });

  it('closes the sessions of a disabled user and of a user with a new uuid', async () => {
    const r = await startVlessRig({ users: [relayUser('alice', ALICE), relayUser('bob', BOB)] });
    rigs.push(r);
    const alice = await live(r, ALICE);
    const bob = await live(r, BOB);
    expect(r.runner.setUsers([relayUser('alice', ALICE, { enabled: false }), relayUser('bob', CAROL)])).toBe(2);
    await Promise.all([alice.closed, bob.closed]);
    await refused(r, ALICE);
    await refused(r, BOB);
    await live(r, CAROL);
  });

  it('keeps an unchanged user connected across many swaps', async () => {
    const r = await startVlessRig({ users: [relayUser('alice', ALICE)] });
    rigs.push(r);
    const alice = await live(r, ALICE);
    for (let i = 0; i < 5; i++) r.runner.setUsers([relayUser('alice', ALICE), relayUser(`u${i}`, CAROL)]);
    expect(await stillRelays(alice)).toBe(true);
    expect(r.runner.users().map((u) => u.name)).toEqual(['alice', 'u4']);
  });
});
