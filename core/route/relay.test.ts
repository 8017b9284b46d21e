import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Outbound } from '../adapter';
import { LogBus } from '../log/logger';
import { closeServer, drain, leakGuard, listen, relayRig, testMeta, whenPeerGone, type RelayRig } from '../test/route-rig';
import { StatsRecorder } from '../test/route-stats-recorder';
import { createRelay } from './relay';
import { nativeAvailable } from './splice';
import { NATIVE_AFTER_BYTES, type TcpSession } from './tcp-session';
import { createRouter } from './router';
import { RouteSettings } from '../rpc';
import { createDirectOutbound } from '../outbound/direct';

let guard: ReturnType<typeof leakGuard>;
let rig: RelayRig | undefined;
beforeEach(() => {
  guard = leakGuard();
  rig = undefined;
});
afterEach(async () => {
  await rig?.close();
  await guard.check();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `data` in 64 KiB slices honouring backpressure, then ends. */
async function pump(socket: net.Socket, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; off += 65536) {
    if (!socket.write(data.subarray(off, off + 65536))) await new Promise((r) => socket.once('drain', r));
  }
  socket.end();
}

function noWarnings(r: RelayRig) {
  return r.logs.entries({ limit: 500, level: 'warn' }).map((e) => e.message);
}

describe('relay.tcp (JS path)', () => {
  it('moves megabytes both ways intact and samples exactly the bytes moved', async () => {
    const r = (rig = await relayRig());
    const up = randomBytes(6 * 1024 * 1024 + 17);
    const down = randomBytes(5 * 1024 * 1024 + 3);
    const atTarget = drain(r.target);
    const atUser = drain(r.user);
    await Promise.all([pump(r.user, up), pump(r.target, down)]);
    const [t, u] = await Promise.all([atTarget, atUser]);
    expect(t.sha256).toBe(sha(up));
    expect(u.sha256).toBe(sha(down));
    await r.stats.waitClosed(1);
    const conn = r.stats.openedConns[0]!;
    expect(r.stats.calls).toEqual(['opened:t1', 'closed:t1']);
    expect(r.stats.finalSamples.get(conn)).toEqual([up.length, down.length]);
    expect(conn.sample()).toEqual([up.length, down.length]);
    expect([conn.rule, conn.outbound]).toEqual(['mode(direct)', 'direct']);
    await Promise.all([whenPeerGone(r.user), whenPeerGone(r.target)]);
    expect(r.relay.activeCount()).toBe(0);
    expect(noWarnings(r)).toEqual([]);
  });

  it('half-close: the client ends its side and still gets the reply', async () => {
    const r = (rig = await relayRig());
    const request = drain(r.target);
    r.user.end('question');
    expect((await request).data.toString()).toBe('question');
    expect(r.stats.closedConns).toHaveLength(0);
    const reply = drain(r.user);
    r.target.end('answer after FIN');
    expect((await reply).data.toString()).toBe('answer after FIN');
    await r.stats.waitClosed(1);
    expect(r.stats.finalSamples.get(r.stats.openedConns[0]!)).toEqual([8, 16]);
  });

  it('half-close the other way: the server ends first and keeps reading', async () => {
    const r = (rig = await relayRig());
    const greeting = drain(r.user);
    r.target.end('bye');
    expect((await greeting).data.toString()).toBe('bye');
    const rest = drain(r.target);
    r.user.end('late data');
    expect((await rest).data.toString()).toBe('late data');
    await r.stats.waitClosed(1);
  });

  it('writes the head to the destination first and counts it as upload', async () => {
    const r = (rig = await relayRig({ head: Buffer.from('HEAD:') }));
    const got = drain(r.target);
    r.user.end('body');
    expect((await got).data.toString()).toBe('HEAD:body');
    r.target.end();
    await r.stats.waitClosed(1);
    expect(r.stats.finalSamples.get(r.stats.openedConns[0]!)).toEqual([9, 0]);
  });

  it('backpressure: a paused reader keeps the relay buffers bounded, then everything arrives', async () => {
    const r = (rig = await relayRig());
    const total = 48 * 1024 * 1024;
    const block = randomBytes(65536);
    let written = 0;
    const produce = async (socket: net.Socket) => {
      while (written < total) {
        written += block.length;
        if (!socket.write(block)) await new Promise((res) => socket.once('drain', res));
      }
      socket.end();
    };
    void produce(r.target);
    let maxBuffered = 0;
    for (let i = 0; i < 30; i++) {
      await sleep(10);
      maxBuffered = Math.max(maxBuffered, r.client.writableLength, r.remote.readableLength);
    }
    // The user reads nothing: the producer must be stalled far below the total.
    expect(written).toBeLessThan(total / 2);
    expect(maxBuffered).toBeLessThan(1024 * 1024);
    const all = await (r.user.resume(), drain(r.user));
    expect(all.bytes).toBe(total);
    r.user.end();
    await r.stats.waitClosed(1);
    expect(r.stats.finalSamples.get(r.stats.openedConns[0]!)).toEqual([0, total]);
  });

  it('backpressure upstream: a slow destination keeps the relay buffers bounded', async () => {
    const r = (rig = await relayRig());
    const total = 48 * 1024 * 1024;
    const block = randomBytes(65536);
    let written = 0;
    void (async () => {
      while (written < total) {
        written += block.length;
        if (!r.user.write(block)) await new Promise((res) => r.user.once('drain', res));
      }
      r.user.end();
    })();
    let maxBuffered = 0;
    for (let i = 0; i < 30; i++) {
      await sleep(10);
      maxBuffered = Math.max(maxBuffered, r.remote.writableLength, r.client.readableLength);
    }
    expect(written).toBeLessThan(total / 2);
    expect(maxBuffered).toBeLessThan(1024 * 1024);
    const all = await drain(r.target);
    expect(all.bytes).toBe(total);
    r.target.end();
    await r.stats.waitClosed(1);
  });

  it('closes both sides after the idle timeout, not while bytes move', async () => {
    const r = (rig = await relayRig({ idleTimeoutMs: 150 }));
    r.target.resume();
    for (let i = 0; i < 8; i++) {
      r.user.write('x');
      await sleep(50);
    }
    expect(r.stats.closedConns).toHaveLength(0);
    await Promise.all([whenPeerGone(r.user), whenPeerGone(r.target)]);
    await r.stats.waitClosed(1);
    expect(r.stats.finalSamples.get(r.stats.openedConns[0]!)).toEqual([8, 0]);
    expect(r.logs.entries({ limit: 50, level: 'debug' }).some((e) => e.message.includes('idle timeout'))).toBe(true);
  });

  it('tracked.close() closes both sides once', async () => {
    const r = (rig = await relayRig());
    r.target.resume();
    r.user.resume();
    r.stats.openedConns[0]!.close('closed by user');
    r.stats.openedConns[0]!.close('again');
    await Promise.all([whenPeerGone(r.user), whenPeerGone(r.target)]);
    expect(r.client.destroyed && r.remote.destroyed).toBe(true);
    expect(r.stats.calls).toEqual(['opened:t1', 'closed:t1']);
  });

  it('a reset from the destination ends the relay quietly', async () => {
    const r = (rig = await relayRig());
    r.user.resume();
    r.user.on('error', () => undefined);
    r.target.resetAndDestroy();
    await whenPeerGone(r.user);
    await r.stats.waitClosed(1);
    expect(noWarnings(r)).toEqual([]);
    r.stats.assertBalanced();
  });

  it('closeAll ends every relayed connection', async () => {
    const r = (rig = await relayRig());
    r.target.resume();
    r.user.resume();
    expect(r.relay.activeCount()).toBe(1);
    r.relay.closeAll('shutdown');
    await Promise.all([whenPeerGone(r.user), whenPeerGone(r.target)]);
    expect(r.relay.activeCount()).toBe(0);
    expect(r.stats.closedConns).toHaveLength(1);
  });
});

describe('TcpSession with the native relay enabled', () => {
  it('keeps a short exchange in JS: no handover below NATIVE_AFTER_BYTES', async () => {
    const r = (rig = await relayRig({ head: Buffer.from('GET / HTTP/1.1\r\n\r\n'), forceNative: true }));
    const request = drain(r.target);
    r.user.end();
    expect((await request).data.toString()).toBe('GET / HTTP/1.1\r\n\r\n');
    const reply = drain(r.user);
    r.target.end('HTTP/1.1 200 OK\r\n\r\nok');
    expect((await reply).data.toString()).toBe('HTTP/1.1 200 OK\r\n\r\nok');
    await r.stats.waitClosed(1);
    const session = r.stats.openedConns[0] as TcpSession;
    expect(session.onNativeRelay).toBe(false);
    expect(r.stats.finalSamples.get(session)).toEqual([18, 21]);
  });

  it('flushes the head, hands a long transfer to splice mid-stream (when the addon is loaded), and relays intact', async () => {
    const r = (rig = await relayRig({ head: Buffer.from('HEAD'), forceNative: true }));
    const up = randomBytes(1024 * 1024);
    const down = randomBytes(777_777);
    const atTarget = drain(r.target);
    const atUser = drain(r.user);
    await Promise.all([pump(r.user, up), pump(r.target, down)]);
    const [t, u] = await Promise.all([atTarget, atUser]);
    expect(t.sha256).toBe(sha(Buffer.concat([Buffer.from('HEAD'), up])));
    expect(u.sha256).toBe(sha(down));
    await r.stats.waitClosed(1);
    expect(r.stats.finalSamples.get(r.stats.openedConns[0]!)).toEqual([up.length + 4, down.length]);
    expect(up.length + down.length).toBeGreaterThan(4 * NATIVE_AFTER_BYTES);
    expect((r.stats.openedConns[0] as TcpSession).onNativeRelay).toBe(nativeAvailable());
  });
});

describe('relay.track', () => {
  it('samples a socket the inbound drives itself and reports it closed once', async () => {
    const server = net.createServer((s) => {
      s.once('data', () => s.end('0123456789'));
    });
    const port = await listen(server);
    const stats = new StatsRecorder();
    const logs = new LogBus({ level: 'debug' });
    const direct: Outbound = createDirectOutbound();
    const settings = RouteSettings.parse({ mode: 'direct' });
    const router = createRouter({ settings: () => settings, outbound: () => direct, log: logs.logger('route') });
    const relay = createRelay({ router, stats, log: logs.logger('relay') });
    const meta = testMeta({ host: '127.0.0.1', port });
    const remote = await direct.dialTcp(meta);
    relay.track(meta, { outbound: direct, rule: 'final' }, remote);
    const got = drain(remote);
    remote.resume();
    remote.write('ping');
    expect((await got).data.toString()).toBe('0123456789');
    remote.end();
    await stats.waitClosed(1);
    expect(stats.finalSamples.get(stats.openedConns[0]!)).toEqual([4, 10]);
    expect(relay.activeCount()).toBe(0);
    stats.assertBalanced();
    await closeServer(server);
  });
});
