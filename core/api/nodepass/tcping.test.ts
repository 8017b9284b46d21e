import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTcping } from './tcping';

const servers: net.Server[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await new Promise((r) => s.close(r)); });

async function listening(): Promise<number> {
  const s = net.createServer((c) => c.destroy());
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

describe('tcping', () => {
  it('connects to a live port, reports Go-style errors otherwise', async () => {
    const ping = createTcping();
    const port = await listening();
    expect(await ping(`127.0.0.1:${port}`)).toMatchObject({ target: `127.0.0.1:${port}`, connected: true, error: null });
    const s = servers.pop()!;
    await new Promise((r) => s.close(r));
    expect(await ping(`127.0.0.1:${port}`)).toEqual({ target: `127.0.0.1:${port}`, connected: false, latency: 0, error: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
    expect((await ping('127.0.0.1')).error).toBe('dial tcp: address 127.0.0.1: missing port in address');
    expect((await ping('::1:80')).error).toBe('dial tcp: address ::1:80: too many colons in address');
    expect((await ping('[::1]:x')).error).toBe('dial tcp: address [::1]:x: invalid port');
  });

  it('runs at most 10 at once; the 11th waits 1 s for a slot, then "too many requests"', async () => {
    const held: Array<() => void> = [];
    const ping = createTcping({ dial: () => new Promise((r) => held.push(() => r(null))) });
    const first = Array.from({ length: 10 }, () => ping('127.0.0.1:1'));
    const t0 = Date.now();
    const eleventh = await ping('127.0.0.1:1');
    expect(eleventh.error).toBe('too many requests');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(held).toHaveLength(10);
    // A waiter gets the slot a finishing ping frees.
    const twelfth = ping('127.0.0.1:1');
    held.shift()!();
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(10);
    for (const release of held.splice(0)) release();
    expect((await twelfth).connected).toBe(true);
    expect((await Promise.all(first)).every((r) => r.connected)).toBe(true);
  });

  it('times out a dial after dialTimeoutMs', async () => {
    const ping = createTcping({ dialTimeoutMs: 50, dial: (_h, _p, ms) => new Promise((r) => setTimeout(() => r(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })), ms)) });
    expect((await ping('127.0.0.1:1')).error).toBe('dial tcp 127.0.0.1:1: i/o timeout');
  });
});
