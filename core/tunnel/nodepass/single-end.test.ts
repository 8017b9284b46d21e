import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardedCleanup } from '../../test/guarded-cleanup';
import { curl, freePort, helloServer, npUrl, recordingServer, sleep, tunnelCtx, udpEcho, udpRoundTrip } from '../../test/nodepass-rt-rig';
import { createSingleEndClient } from './single-end';
import type { NodePassRunner } from './types';

const cleanup = guardedCleanup(2000);

async function client(query: string, targets: number[]): Promise<{ runner: NodePassRunner; port: number; ctx: ReturnType<typeof tunnelCtx> }> {
  const port = await freePort();
  const ctx = tunnelCtx();
  const url = npUrl(`client://127.0.0.1:${port}/${targets.map((t) => `127.0.0.1:${t}`).join(',')}?mode=1&${query}`);
  const runner = createSingleEndClient(url, ctx);
  await runner.start();
  cleanup.push(() => runner.close(), () => ctx.relay.closeAll('test end'));
  return { runner, port, ctx };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    cleanup.push(() => s.destroy());
  });
}

function closedWithout(s: net.Socket, ms = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const t = setTimeout(() => reject(new Error('socket stayed open')), ms);
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('error', () => {});
    // The test sockets are allowHalfOpen: the peer going away shows as 'end' first.
    const done = () => { clearTimeout(t); resolve(Buffer.concat(parts)); };
    s.once('end', done);
    s.once('close', done);
  });
}

describe('single-end client (client:// mode 1)', () => {
  it('forwards TCP to a local HTTP server (curl) through the relay with rule "tunnel"', async () => {
    const web = await helloServer('web');
    cleanup.push(() => web.close());
    const { runner, port, ctx } = await client('', [web.port]);
    expect(runner.address()).toBe(`127.0.0.1:${port}`);
    expect(await curl(port)).toBe('hello from web');
    await ctx.stats.waitOpened(1);
    expect(ctx.stats.openedConns[0]!.rule).toBe('tunnel');
    expect(ctx.stats.openedConns[0]!.meta.destination).toEqual({ host: '127.0.0.1', port: web.port });
    expect(runner.metrics().mode).toBe(1);
  });

  it('fails over to the next target when the first is dead, round-robin after that', async () => {
    const web = await helloServer('live');
    cleanup.push(() => web.close());
    const dead = await freePort();
    const { port } = await client('', [dead, web.port]);
    for (let i = 0; i < 3; i++) expect(await curl(port)).toBe('hello from live');
  });

  it('honours rate (Mbps × 125000 B/s) within 10%, measured at the receiver', async () => {
    const sink = await recordingServer();
    cleanup.push(() => sink.close());
    const { port } = await client('rate=1', [sink.port]);
    const total = 300_000;
    const burst = 16 * 1024;
    const s = await connect(port);
    const t0 = performance.now();
    s.end(Buffer.alloc(total, 7));
    while (sink.received.length === 0) await sleep(5);
    const got = await sink.received[0]!;
    const elapsed = (performance.now() - t0) / 1000;
    expect(got.length).toBe(total);
    const expected = (total - burst) / 125_000;
    expect(Math.abs(elapsed / expected - 1)).toBeLessThan(0.1);
  });

  it('sends a PROXY v1 line to the target before the data (proxy=1)', async () => {
    const sink = await recordingServer();
    cleanup.push(() => sink.close());
    const { port } = await client('proxy=1', [sink.port]);
    const s = await connect(port);
    const sport = s.localPort;
    s.end('payload');
    while (sink.received.length === 0) await sleep(5);
    const got = (await sink.received[0]!).toString('latin1');
    expect(got).toBe(`PROXY TCP4 127.0.0.1 127.0.0.1 ${sport} ${sink.port}\r\npayload`);
  });

  it('refuses a SOCKS5 handshake with block=1 but lets other bytes through', async () => {
    const sink = await recordingServer();
    cleanup.push(() => sink.close());
    const { port, ctx } = await client('block=1', [sink.port]);
    const socks = await connect(port);
    socks.write(Buffer.from([5, 1, 0]));
    expect((await closedWithout(socks)).length).toBe(0);
    expect(ctx.stats.badHandshakes).toEqual([{ instanceId: 'np', kind: 'blocked-socks' }]);
    expect(sink.received.length).toBe(0);
    const other = await connect(port);
    other.end('GET / HTTP/1.0\r\n\r\n');
    while (sink.received.length === 0) await sleep(5);
    expect((await sink.received[0]!).toString()).toBe('GET / HTTP/1.0\r\n\r\n');
  });

  it('closes connections beyond slot while the first session is open', async () => {
    const sink = await recordingServer();
    cleanup.push(() => sink.close());
    const { port, runner } = await client('slot=1', [sink.port]);
    const first = await connect(port);
    first.write('a');
    while (sink.received.length === 0) await sleep(5);
    expect(runner.metrics().tcps).toBe(1);
    const second = await connect(port);
    second.write('b');
    expect((await closedWithout(second)).length).toBe(0);
    first.end();
    expect((await sink.received[0]!).toString()).toBe('a');
    expect(sink.received.length).toBe(1);
  });

  it('closes an idle session after read', async () => {
    const sink = await recordingServer();
    cleanup.push(() => sink.close());
    const { port } = await client('read=200ms', [sink.port]);
    const s = await connect(port);
    const t0 = Date.now();
    await closedWithout(s, 3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  });

  it('relays UDP per source and counts the session; notcp leaves only UDP', async () => {
    const echo = await udpEcho();
    cleanup.push(() => echo.close());
    const { port, runner } = await client('notcp=1', [echo.port]);
    expect((await udpRoundTrip(port, Buffer.from('ping-1'))).toString()).toBe('ping-1');
    expect((await udpRoundTrip(port, Buffer.from('ping-2'))).toString()).toBe('ping-2');
    const m = runner.metrics();
    expect(m.udps).toBe(2);
    expect(m.udprx).toBe(12);
    expect(m.udptx).toBe(12);
    await expect(connect(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
