import net, { type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leakGuard } from '../../test/route-rig';
import {
  ALICE, BOB, cleanupVlessRigDirs, rawClient, relayUser, startEcho, startVlessRig, until, userBytes, vlessHeader, type RawClient, type VlessRig,
} from '../../test/vless-in-harness';

let echo: Awaited<ReturnType<typeof startEcho>>;
const rigs: VlessRig[] = [];
const clients: RawClient[] = [];

beforeAll(async () => {
  echo = await startEcho();
});
afterAll(async () => {
  await echo.close();
  cleanupVlessRigDirs();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const r of rigs.splice(0)) await r.close();
});

async function rig(users: ReturnType<typeof relayUser>[], opts: { dataDir?: string } = {}): Promise<VlessRig> {
  const r = await startVlessRig({ users }, opts);
  rigs.push(r);
  return r;
}

/** A VLESS connection to the echo that has been answered (so it is admitted and relayed). */
async function live(r: VlessRig, uuid: string, localAddress?: string): Promise<RawClient> {
  const c = await rawClient(r.port, { localAddress });
  clients.push(c);
  c.write(Buffer.concat([vlessHeader(uuid, echo.port), Buffer.from('ping')]));
  await c.waitBytes(6);
  return c;
}

/** A VLESS connection that the relay closes without answering. */
async function refused(r: VlessRig, uuid: string, localAddress?: string): Promise<void> {
  const c = await rawClient(r.port, { localAddress });
  c.write(Buffer.concat([vlessHeader(uuid, echo.port), Buffer.from('ping')]));
  await c.closed;
  expect(c.received()).toHaveLength(0);
}

describe('per-user limits', () => {
  it('refuses connections over maxConnections, with a log line naming the user and the limit', async () => {
    const r = await rig([relayUser('alice', ALICE, { maxConnections: 2 }), relayUser('bob', BOB)]);
    const a1 = await live(r, ALICE);
    await live(r, ALICE);
    await refused(r, ALICE);
    expect(r.lines()).toContain('instance:relay1: user "alice" refused: 2 connections (max 2)');
    await live(r, BOB);
    a1.destroy();
    await until(() => r.runner.users()[0]!.connections === 1, 'a freed slot');
    await live(r, ALICE);
    expect(r.collector.badHandshakeCounts()).toEqual({});
  });

  it('refuses a new source IP over maxIps, not more connections from a known one', async () => {
    const r = await rig([relayUser('alice', ALICE, { maxIps: 1 })]);
    const first = await live(r, ALICE, '127.0.0.1');
    await live(r, ALICE, '127.0.0.1');
    await refused(r, ALICE, '127.0.0.2');
    expect(r.lines()).toContain('instance:relay1: user "alice" refused: 1 source IP (max 1), new IP 127.0.0.2');
    expect(r.runner.users()[0]).toMatchObject({ connections: 2, activeIps: ['127.0.0.1'] });
    first.destroy();
    clients.splice(0).forEach((c) => c.destroy());
    await until(() => r.runner.users()[0]!.connections === 0, 'all connections gone');
    await live(r, ALICE, '127.0.0.2');
    expect(r.runner.users()[0]!.activeIps).toEqual(['127.0.0.2']);
  });

  it('closes live connections when the quota is used up, refuses new ones, and admits again after a reset', async () => {
    const r = await rig([relayUser('alice', ALICE, { quotaBytes: 64 * 1024 }), relayUser('bob', BOB)]);
    const a = await live(r, ALICE);
    const bob = await live(r, BOB);
    a.write(Buffer.alloc(48 * 1024, 1));
    await a.waitBytes(6 + 48 * 1024);
    // 48 KiB up + 48 KiB echoed down > 64 KiB: closed at the next tick.
    await a.closed;
    expect(r.lines().some((l) => /user "alice" quota used up \(\d+ of 65536 bytes\): 1 connection closed/.test(l))).toBe(true);
    await refused(r, ALICE);
    expect(r.lines().some((l) => /user "alice" refused: quota used up \(\d+ of 65536 bytes\)/.test(l))).toBe(true);
    expect(bob.socket!.destroyed).toBe(false);
    expect(r.runner.resetQuota('alice')).toBe(true);
    expect(r.runner.resetQuota('nobody')).toBe(false);
    expect(userBytes(r, 'alice')).toEqual({ up: 0, down: 0 });
    await live(r, ALICE);
  });

  it('keeps per-user counters across a restart', async () => {
    const r1 = await rig([relayUser('alice', ALICE)]);
    const a = await live(r1, ALICE);
    a.write(Buffer.alloc(10_000, 2));
    await a.waitBytes(6 + 10_000);
    a.destroy();
    await until(() => userBytes(r1, 'alice').down === 10_004, 'the bytes counted');
    const before = userBytes(r1, 'alice');
    expect(before.up).toBe(10_004);
    rigs.splice(rigs.indexOf(r1), 1);
    await r1.close();
    const r2 = await rig([relayUser('alice', ALICE)], { dataDir: r1.dataDir });
    expect(userBytes(r2, 'alice')).toEqual(before);
  });
});

describe('per-user speed limits', () => {
  /** A target that sends `n` bytes to whoever connects, then ends. */
  async function source(n: number): Promise<{ port: number; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      s.end(Buffer.alloc(n, 3));
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    return {
      port: (server.address() as net.AddressInfo).port,
      close: () => new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
    };
  }

  /** A target that counts what it receives and when the first and last bytes came. */
  async function sink(): Promise<{ port: number; received(): { bytes: number; ms: number }; close(): Promise<void> }> {
    let bytes = 0;
    let first = 0;
    let last = 0;
    const sockets = new Set<Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        const now = performance.now();
        if (bytes === 0) first = now;
        bytes += d.length;
        last = now;
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    return {
      port: (server.address() as net.AddressInfo).port,
      received: () => ({ bytes, ms: last - first }),
      close: () => new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
    };
  }

  const RATE = 1 << 20;

  it('holds a download to downLimitBps, shared by the user\'s connections (±20%)', async () => {
    const guard = leakGuard(2000);
    const src = await source(1_300_000);
    const r = await startVlessRig({ users: [relayUser('alice', ALICE, { downLimitBps: RATE })] });
    try {
      const conns = await Promise.all([rawClient(r.port), rawClient(r.port)]);
      const started = performance.now();
      for (const c of conns) c.write(vlessHeader(ALICE, src.port));
      await Promise.all(conns.map((c) => c.waitBytes(2 + 1_300_000, 10_000)));
      const rate = (2 * 1_300_000) / ((performance.now() - started) / 1000);
      expect(rate).toBeGreaterThan(RATE * 0.8);
      expect(rate).toBeLessThan(RATE * 1.2);
      for (const c of conns) c.destroy();
    } finally {
      await r.close();
      await src.close();
    }
    await guard.check();
  });

  it('delivers every byte of a throttled upload before passing its end on', async () => {
    const r = await rig([relayUser('alice', ALICE, { upLimitBps: RATE, downLimitBps: RATE })]);
    const c = await rawClient(r.port);
    clients.push(c);
    const body = Buffer.alloc(300_000, 5);
    c.write(Buffer.concat([vlessHeader(ALICE, echo.port), body]));
    c.end();
    await c.closed;
    expect(c.received().length).toBe(2 + body.length);
  });

  it('holds an upload to upLimitBps (±20%) measured at the destination', async () => {
    const dst = await sink();
    const r = await startVlessRig({ users: [relayUser('alice', ALICE, { upLimitBps: RATE })] });
    try {
      const c = await rawClient(r.port);
      clients.push(c);
      const total = 2_500_000;
      c.write(Buffer.concat([vlessHeader(ALICE, dst.port), Buffer.alloc(total, 4)]));
      await until(() => dst.received().bytes === total, 'the upload to arrive', 10_000);
      const { ms } = dst.received();
      const rate = total / (ms / 1000);
      expect(rate).toBeGreaterThan(RATE * 0.8);
      expect(rate).toBeLessThan(RATE * 1.2);
    } finally {
      await r.close();
      await dst.close();
    }
  });
});
