import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { messagePortChannel } from './adapters/message-port';
import { webSocketChannel } from './adapters/websocket';
import type { Channel } from './channel';
import { CoreError, isCoreError } from './errors';
import { createRpc, formatPath } from './rpc';

interface Calc { add(a: { x: number; y: number }): Promise<number>; fail(): Promise<void>; slow(): Promise<void>; echo(v?: unknown): Promise<unknown> }
interface CalcEvents { tick: number; other: string }

const disposers: Array<() => void | Promise<void>> = [];
afterEach(async () => { for (const d of disposers.splice(0).reverse()) await d(); });

function portPair(): [Channel, Channel] {
  const { port1, port2 } = new MessageChannel();
  disposers.push(() => { port1.close(); port2.close(); });
  return [messagePortChannel(port1), messagePortChannel(port2)];
}

function serveCalc(channel: Channel, version?: number) {
  return createRpc<unknown, unknown>({
    channel,
    version,
    serve: {
      add: (a: { x: number; y: number }) => a.x + a.y,
      fail: () => { throw new CoreError('E_NOT_FOUND', 'nothing here', { data: { why: 1 } }); },
      slow: () => new Promise(() => undefined),
      echo: (v: unknown) => v,
    },
    parsers: { add: z.object({ x: z.number(), y: z.number() }) },
  });
}

describe('createRpc over MessagePort', () => {
  it('calls, validates input, carries errors with code, message and data', async () => {
    const [a, b] = portPair();
    serveCalc(a);
    const client = createRpc<Calc, CalcEvents>({ channel: b });
    await client.ready;
    expect(await client.api.add({ x: 2, y: 3 })).toBe(5);
    const err = await client.api.fail().catch((e) => e);
    expect(isCoreError(err, 'E_NOT_FOUND')).toBe(true);
    expect(err.message).toBe('nothing here');
    expect(err.data).toEqual({ why: 1 });
    const bad = await client.api.add({ x: 'no' as unknown as number, y: 1 }).catch((e) => e);
    expect(bad.code).toBe('E_CONFIG_INVALID');
    expect(bad.message).toContain('x:');
    const unknown = await (client.api as unknown as { nope(): Promise<void> }).nope().catch((e) => e);
    expect(unknown.code).toBe('E_RPC_METHOD');
  });

  it('queues calls made before the hello, and structured-clones values', async () => {
    const [a, b] = portPair();
    const client = createRpc<Calc, CalcEvents>({ channel: b });
    const pending = client.api.echo({ d: [1, 2, { x: null }] });
    serveCalc(a);
    expect(await pending).toEqual({ d: [1, 2, { x: null }] });
  });

  it('times out a call that is never answered', async () => {
    const [a, b] = portPair();
    serveCalc(a);
    const client = createRpc<Calc, CalcEvents>({ channel: b, timeoutMs: 100 });
    const err = await client.api.slow().catch((e) => e);
    expect(err.code).toBe('E_RPC_TIMEOUT');
  });

  it('rejects pending calls when the channel closes', async () => {
    const [a, b] = portPair();
    const server = serveCalc(a);
    const client = createRpc<Calc, CalcEvents>({ channel: b });
    await client.ready;
    const p = client.api.slow();
    const closed = new Promise((r) => client.onClose(r));
    server.close();
    expect((await p.catch((e) => e)).code).toBe('E_RPC_CLOSED');
    await closed;
    expect((await client.api.add({ x: 1, y: 1 }).catch((e) => e)).code).toBe('E_RPC_CLOSED');
  });

  it('refuses a peer with another protocol version', async () => {
    const [a, b] = portPair();
    serveCalc(a, 999);
    const client = createRpc<Calc, CalcEvents>({ channel: b });
    const err = await client.ready.catch((e) => e);
    expect(err.code).toBe('E_RPC_VERSION');
    expect((await client.api.add({ x: 1, y: 1 }).catch((e) => e)).code).toMatch(/E_RPC_(CLOSED|VERSION)/);
  });

  it('delivers only subscribed events', async () => {
    const [a, b] = portPair();
    const server = serveCalc(a);
    const client = createRpc<Calc, CalcEvents>({ channel: b });
    const got: number[] = [];
    const off = client.on('tick', (n) => got.push(n));
    await client.ready;
    await client.api.echo(1); // round trip: the subscription has arrived
    expect(server.wants('tick')).toBe(true);
    expect(server.wants('other')).toBe(false);
    server.emit('tick', 1);
    server.emit('other', 'x');
    await client.api.echo(2);
    off();
    await client.api.echo(3);
    expect(server.wants('tick')).toBe(false);
    server.emit('tick', 2);
    await client.api.echo(4);
    expect(got).toEqual([1]);
  });
});

describe('createRpc over WebSocket (ws)', () => {
  it('round-trips calls and events as JSON frames, and closes cleanly', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    disposers.push(() => new Promise<void>((r) => wss.close(() => r())));
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    let server: ReturnType<typeof serveCalc> | undefined;
    wss.on('connection', (sock) => { server = serveCalc(webSocketChannel(sock)); });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const client = createRpc<Calc, CalcEvents>({ channel: webSocketChannel(ws) });
    const ticks: number[] = [];
    client.on('tick', (n) => ticks.push(n));
    expect(await client.api.add({ x: 40, y: 2 })).toBe(42);
    server!.emit('tick', 7);
    await client.api.echo(null);
    expect(ticks).toEqual([7]);
    const pending = client.api.slow();
    const closed = new Promise<string>((r) => client.onClose(r));
    server!.close();
    expect((await pending.catch((e) => e)).code).toBe('E_RPC_CLOSED');
    expect(await closed).toMatch(/websocket closed/);
  });
});

describe('formatPath', () => {
  it('formats zod paths as people read them', () => {
    expect(formatPath(['instances', 2, 'listen'])).toBe('instances[2].listen');
    expect(formatPath([0, 'a'])).toBe('[0].a');
  });
});
