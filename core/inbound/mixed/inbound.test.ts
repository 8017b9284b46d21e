import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCoreError } from '../../rpc';
import { leakGuard } from '../../test/route-rig';
import { curl, rawClient, startMixed, startOrigin, type MixedRig, type Target } from '../../test/mixed-harness';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

let guard: ReturnType<typeof leakGuard>;
let rigs: MixedRig[] = [];
let origin: Target;
beforeEach(async () => {
  guard = leakGuard();
  rigs = [];
  origin = await startOrigin();
});
afterEach(async () => {
  for (const r of rigs) await r.close();
  await origin.close();
  await guard.check();
});

async function rig(...args: Parameters<typeof startMixed>): Promise<MixedRig> {
  const r = await startMixed(...args);
  rigs.push(r);
  return r;
}

const ipv6 = await new Promise<boolean>((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve(false));
  s.listen(0, '::1', () => s.close(() => resolve(true)));
});

describe('mixed inbound lifecycle', () => {
  it('reports its bound address and serves both protocols on it', async () => {
    const r = await rig();
    expect(r.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(r.port).toBeGreaterThan(0);
    expect((await curl(['--socks5-hostname', r.address, `http://127.0.0.1:${origin.port}/s`])).stdout.toString()).toBe('hello /s');
    expect((await curl(['--proxy', `http://${r.address}`, `http://127.0.0.1:${origin.port}/h`])).stdout.toString()).toBe('hello /h');
  });

  it('listens on a host name', async () => {
    const r = await rig({ listen: 'localhost:0' });
    expect(r.address).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
    expect((await curl(['--proxy', `http://${r.address}`, `http://127.0.0.1:${origin.port}/n`])).stdout.toString()).toBe('hello /n');
  });

  it.skipIf(!ipv6)('listens on [::1] and serves SOCKS5 and HTTP there', async () => {
    const r = await rig({ listen: '[::1]:0' });
    expect(r.address).toMatch(/^\[::1\]:\d+$/);
    expect((await curl(['--socks5-hostname', r.address, `http://127.0.0.1:${origin.port}/v6s`])).stdout.toString()).toBe('hello /v6s');
    expect((await curl(['--proxy', `http://${r.address}`, `http://127.0.0.1:${origin.port}/v6h`])).stdout.toString()).toBe('hello /v6h');
    await r.stats.waitClosed(2);
    expect(r.stats.closedConns.map((c) => c.meta.source.address)).toEqual(['::1', '::1']);
  });

  it('fails to start with E_LISTEN_ADDRINUSE on a taken port, naming it', async () => {
    const first = await rig();
    let err: unknown;
    try {
      await rig({ listen: first.address });
    } catch (e) {
      err = e;
    }
    expect(isCoreError(err, 'E_LISTEN_ADDRINUSE')).toBe(true);
    expect((err as Error).message).toContain(first.address);
  });

  it('close() stops listening and destroys handshaking, relayed and keep-alive sockets', async () => {
    const r = await rig();
    const handshaking = await rawClient(r.port);
    handshaking.write(hex('05 01'));
    const relayed = await rawClient(r.port);
    relayed.write(Buffer.concat([hex('05 01 00 05 01 00 01 7f000001'), Buffer.from([origin.port >> 8, origin.port & 255])]));
    expect((await relayed.read(12)).subarray(0, 4)).toEqual(hex('05 00 05 00'));
    const keepAlive = await rawClient(r.port);
    keepAlive.write(`GET http://127.0.0.1:${origin.port}/ka HTTP/1.1\r\nHost: a\r\n\r\n`);
    await keepAlive.read(17);
    await r.stats.waitOpened(2);

    await r.inbound.close();
    expect(r.inbound.address()).toBeNull();
    await Promise.all([handshaking.closed, relayed.closed, keepAlive.closed]);
    await r.stats.waitClosed(2);
    r.stats.assertBalanced();
    expect(r.relay.activeCount()).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(r.port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await r.inbound.close();
  });
});
