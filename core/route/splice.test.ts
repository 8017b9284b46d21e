import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SpliceRig, drain, eventually, liveHandles, openFdCount, readAll, sendAll, sha256, sleep,
} from '../test/route-splice-rig';
import { nativeAvailable, nativeUnavailableReason, spliceRelay } from './splice';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MB = 1 << 20;

describe.skipIf(process.platform !== 'linux')('spliceRelay (native splice(2) relay; Linux only, skipped on other platforms)', () => {
  const rig = new SpliceRig();
  let fdBaseline = 0;
  let handleBaseline = 0;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['build/native.js'], { cwd: root, encoding: 'utf8' });
    expect(nativeAvailable(), `addon unavailable (${nativeUnavailableReason()}); build: ${build.stdout}${build.stderr}`).toBe(true);
    await rig.start();
    // The worker thread's epoll and eventfd live as long as the process: start it before counting.
    const warm = await rig.pair();
    warm.client.end();
    warm.server.end();
    await Promise.all([readAll(warm.client), readAll(warm.server), warm.ended]);
    await eventually(() => rig.openSockets() === 0);
    fdBaseline = openFdCount();
    handleBaseline = liveHandles();
  });

  afterAll(async () => {
    await rig.close();
  });

  it('moves 8 MB each way concurrently, intact, and counts them', async () => {
    const up = randomBytes(8 * MB);
    const down = randomBytes(8 * MB);
    const p = await rig.pair();
    const [atServer, atClient] = await Promise.all([drain(p.server), drain(p.client), sendAll(p.client, up), sendAll(p.server, down)]);
    expect(atServer).toEqual({ bytes: up.length, sha256: sha256(up) });
    expect(atClient).toEqual({ bytes: down.length, sha256: sha256(down) });
    expect(await p.ended).toBeUndefined();
    expect(p.relay.sample()).toEqual([up.length, down.length]);
  });

  it('propagates a half-close and keeps relaying the other way', async () => {
    const p = await rig.pair();
    const atClient = readAll(p.client);
    p.client.end('request');
    expect((await readAll(p.server)).toString()).toBe('request');
    let endedEarly = false;
    void p.ended.then(() => (endedEarly = true));
    await sleep(50);
    expect(endedEarly).toBe(false);
    p.server.end('reply after half-close');
    expect((await atClient).toString()).toBe('reply after half-close');
    expect(await p.ended).toBeUndefined();
    expect(p.relay.sample()).toEqual([7, 22]);
  });

  it('holds data back while the receiver does not read, without spinning, then delivers it all', async () => {
    const data = randomBytes(32 * MB);
    const p = await rig.pair();
    const sent = sendAll(p.server, data);
    // The client reads nothing: wait until the relay's counter stops moving (all buffers full).
    let stable = false;
    for (let tries = 0; tries < 50 && !stable; tries++) {
      const before = p.relay.sample()[1];
      await sleep(100);
      stable = before > 0 && p.relay.sample()[1] === before;
    }
    expect(stable).toBe(true);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const held = p.relay.sample()[1];
    await sleep(1000);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    expect(p.relay.sample()[1]).toBe(held);
    expect(held).toBeLessThan(data.length);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(wallMs * 0.5);
    const got = drain(p.client);
    const atServer = readAll(p.server);
    p.client.end();
    expect(await got).toEqual({ bytes: data.length, sha256: sha256(data) });
    await sent;
    expect((await atServer).length).toBe(0);
    expect(await p.ended).toBeUndefined();
    expect(p.relay.sample()).toEqual([0, data.length]);
  });

  it('ends an idle relay with ETIMEDOUT, and traffic postpones it', async () => {
    const p = await rig.pair(400);
    const t0 = Date.now();
    p.server.resume();
    for (let i = 0; i < 6; i++) {
      await sleep(100);
      p.client.write('x');
    }
    const err = await p.ended;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(err?.message).toBe('idle timeout');
    expect((err as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    expect(p.relay.sample()).toEqual([6, 0]);
    p.client.destroy();
    p.server.destroy();
  });

  it('close() ends the relay once, without error', async () => {
    const p = await rig.pair();
    let calls = 0;
    void p.ended.then(() => calls++);
    // The caller destroys the proxy's sockets after onEnd: both peers then see the end.
    const peersEnded = Promise.all([readAll(p.client), readAll(p.server)]);
    p.relay.close();
    p.relay.close();
    expect(await p.ended).toBeUndefined();
    p.relay.close();
    await sleep(20);
    expect(calls).toBe(1);
    await peersEnded;
    p.client.destroy();
    p.server.destroy();
  });

  it('ends with ECONNRESET when a peer resets', async () => {
    const p = await rig.pair();
    p.client.write('hello');
    await eventually(() => p.relay.sample()[0] === 5);
    p.server.resetAndDestroy();
    const err = (await p.ended) as NodeJS.ErrnoException;
    expect(err.code).toBe('ECONNRESET');
    expect(err.message).toMatch(/^remote (read|write|socket) ECONNRESET$/);
    p.client.destroy();
  });

  it('relays 200 connections at once', async () => {
    const pairs = await Promise.all(Array.from({ length: 200 }, () => rig.pair()));
    await Promise.all(pairs.map(async (p) => {
      const payload = randomBytes(64 * 1024);
      p.server.on('data', (chunk: Buffer) => p.server.write(chunk));
      p.server.on('end', () => p.server.end());
      const echoed = drain(p.client);
      await sendAll(p.client, payload);
      expect(await echoed).toEqual({ bytes: payload.length, sha256: sha256(payload) });
      expect(await p.ended).toBeUndefined();
      expect(p.relay.sample()).toEqual([payload.length, payload.length]);
    }));
  });

  it('refuses sockets it cannot take over, leaving them to JS', async () => {
    const unconnected = new net.Socket();
    expect(spliceRelay(unconnected, unconnected, { idleTimeoutMs: 1000 }, () => {})).toBeNull();
    const s = await rig.connect();
    s.client.write('early');
    // Bytes already read into the JS buffer would be lost to splice: JS must relay them.
    expect(await eventually(() => s.proxyClient.readableLength > 0)).toBe(true);
    expect(spliceRelay(s.proxyClient, s.proxyRemote, { idleTimeoutMs: 1000 }, () => {})).toBeNull();
    expect(s.proxyClient.read()?.toString()).toBe('early');
    process.env.RELAYDESK_NATIVE = '0';
    try {
      expect(nativeAvailable()).toBe(false);
      expect(spliceRelay(s.proxyRemote, s.server, { idleTimeoutMs: 1000 }, () => {})).toBeNull();
    } finally {
      delete process.env.RELAYDESK_NATIVE;
    }
    for (const socket of Object.values(s)) socket.destroy();
  });

  it('leaves no descriptor, socket or timer behind', async () => {
    expect(await eventually(() => rig.openSockets() === 0)).toBe(true);
    await eventually(() => openFdCount() <= fdBaseline && liveHandles() <= handleBaseline);
    expect(openFdCount()).toBeLessThanOrEqual(fdBaseline);
    expect(liveHandles()).toBeLessThanOrEqual(handleBaseline);
  });
});
