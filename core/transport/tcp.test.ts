import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedPort } from '../test/mixed-harness';
import { leakGuard } from '../test/route-rig';
import { dialTcp } from './tcp';

let guard: ReturnType<typeof leakGuard>;
let server: net.Server;
let port: number;
const accepted: Socket[] = [];
beforeEach(async () => {
  guard = leakGuard();
  server = net.createServer((s) => {
    accepted.push(s);
    s.on('error', () => undefined);
    s.write('hi');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  for (const s of accepted.splice(0)) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await guard.check();
});

describe('dialTcp', () => {
  it('resolves with a connected, paused, half-open socket and leaves no listeners behind', async () => {
    const s = await dialTcp({ host: '127.0.0.1', port });
    expect(s.isPaused()).toBe(true);
    expect(s.allowHalfOpen).toBe(true);
    expect([s.listenerCount('error'), s.listenerCount('connect')]).toEqual([0, 0]);
    const data = await new Promise<Buffer>((r) => s.once('data', r).resume());
    expect(data.toString()).toBe('hi');
    s.destroy();
  });

  it('connects the socket it is given', async () => {
    class Marked extends net.Socket {}
    const mine = new Marked({ allowHalfOpen: true });
    const s = await dialTcp({ host: '127.0.0.1', port, socket: mine });
    expect(s).toBe(mine);
    s.destroy();
  });

  it('rejects with the socket error (ECONNREFUSED) for a closed port', async () => {
    const err = await dialTcp({ host: '127.0.0.1', port: await closedPort() }).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects with the abort reason, before or while connecting', async () => {
    const reason = new Error('stop');
    await expect(dialTcp({ host: '127.0.0.1', port, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const abort = new AbortController();
    // connect() completes on a later tick: the abort lands while the dial is pending.
    const p = dialTcp({ host: '127.0.0.1', port, signal: abort.signal });
    abort.abort(reason);
    await expect(p).rejects.toBe(reason);
  });
});
