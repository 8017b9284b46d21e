import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nativeAvailable } from '../../route/splice';
import type { MixedRig } from '../../test/mixed-harness';
import { socksConnect, startVlessProxy } from '../../test/vless-front-rig';
import { rawClient as relayClient, relayUser, startEcho, startVlessRig, userBytes, vlessHeader, type VlessRig } from '../../test/vless-in-harness';

const ALICE = '11111111-2222-4333-8444-555555555555';
let echo: Awaited<ReturnType<typeof startEcho>>;
const closers: (() => Promise<unknown> | unknown)[] = [];
beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => { await echo.close(); });
afterEach(async () => { for (const c of closers.splice(0).reverse()) await c(); });

async function relay(route?: unknown): Promise<VlessRig> {
  const r = await startVlessRig({ users: [relayUser('alice', ALICE)] }, { route });
  closers.push(() => r.close());
  return r;
}

async function proxyTo(port: number, uuid = ALICE): Promise<MixedRig> {
  const rig = await startVlessProxy(port, uuid);
  closers.push(() => rig.close());
  return rig;
}

describe.skipIf(!nativeAvailable())('native front, VLESS', () => {
  it('relays SOCKS5 → VLESS/TCP → relay → echo natively on both ends, with exact per-user bytes', async () => {
    const r = await relay();
    const rig = await proxyTo(r.port);
    expect(rig.logs.entries({ limit: 200, level: 'info' }).map((e) => e.message).join('\n')).toMatch(/native SOCKS5 front/);
    expect(r.lines().join('\n')).toMatch(/VLESS relay \(TCP, native front\)/);
    const { c, reply } = await socksConnect(rig, echo.port);
    expect(reply[1]).toBe(0);
    const chunk = Buffer.alloc(200_000, 9);
    c.write(chunk);
    expect((await c.read(chunk.length)).equals(chunk)).toBe(true);
    c.socket.end();
    await c.closed;
    await rig.stats.waitClosed(1);
    // The mixed side counts payload only: the request header and response header are not bytes moved.
    expect(rig.stats.finalSamples.get(rig.stats.closedConns[0]!)).toEqual([chunk.length, chunk.length]);
    await new Promise((res) => setTimeout(res, 300)); // a collector tick
    expect(userBytes(r, 'alice')).toEqual({ up: chunk.length, down: chunk.length });
  });

  it('closes the SOCKS5 client when the VLESS server hangs up before replying, and says why', async () => {
    const server = net.createServer((s) => s.once('data', () => s.end()));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    closers.push(() => new Promise((res) => server.close(res)));
    const rig = await proxyTo((server.address() as net.AddressInfo).port);
    const { c, reply } = await socksConnect(rig, echo.port);
    expect(reply[1]).toBe(0); // answered at connect, like the JS dial (v2ray replies only with data)
    c.write('hello');
    await c.closed;
    await rig.stats.waitClosed(1);
    const info = rig.logs.entries({ limit: 200, level: 'info' }).map((e) => e.message).join('\n');
    expect(info).toMatch(/vless v → 127\.0\.0\.1:\d+: VLESS server closed the connection before replying — wrong UUID/);
  });

  it('refuses an unknown UUID on the relay without a response, counted as vless-uuid', async () => {
    const r = await relay();
    const c = await relayClient(r.port);
    c.write(Buffer.concat([vlessHeader('99999999-8888-4777-8666-555555555555', echo.port), Buffer.from('x')]));
    await c.closed;
    expect(c.received()).toHaveLength(0);
    expect(r.lines('debug').join('\n')).toMatch(/rejected \(vless-uuid\): unknown user 99999999888847778666555555555555/);
  });

  it('sends a relay request routed elsewhere through the JS dial (a block rule: closed, logged)', async () => {
    const r = await relay({ mode: 'rule', lanBypass: false, rules: [{ type: 'dst_port', value: String(echo.port), outbound: 'block' }] });
    const c = await relayClient(r.port);
    c.write(Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.from('x')]));
    await c.closed;
    expect(c.received()).toHaveLength(0);
    expect(r.lines('debug').join('\n')).toMatch(/vless v1 user "alice" → 127\.0\.0\.1:\d+: .*blocked by rule \(E_ROUTE_BLOCKED\)/);
    expect(r.runner.users().find((u) => u.name === 'alice')!.connections).toBe(0);
  });
});
