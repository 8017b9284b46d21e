import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { frontAddon } from '../../route/splice';
import { expectSlowUserRelayed, socksConnect, startVlessProxy } from '../../test/vless-front-rig';
import { relayUser, startEcho, startVlessRig, until, userBytes, vlessHeader, type VlessRig } from '../../test/vless-in-harness';
import { clientFrame, serverFrames, upgradeRequest } from '../../test/ws-frames';
import { acceptKey } from '../../transport/ws-frame';

const ALICE = '11111111-2222-4333-8444-555555555555';
const SLOW = '21111111-2222-4333-8444-555555555555';
const PATH = '/vl';

let echo: Awaited<ReturnType<typeof startEcho>>;
const closers: (() => Promise<unknown> | unknown)[] = [];
beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => { await echo.close(); });
afterEach(async () => { for (const c of closers.splice(0).reverse()) await c(); });

async function relay(users = [relayUser('alice', ALICE)]): Promise<VlessRig> {
  const r = await startVlessRig({ users, transport: { type: 'ws', path: PATH } });
  closers.push(() => r.close());
  return r;
}

/** A raw TCP client that did the upgrade to PATH; `rest` holds what came after the 101 head. */
async function upgraded(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const { head: request, key } = upgradeRequest(`${PATH}?ed=0`);
  socket.write(request);
  let got = Buffer.alloc(0);
  let ended = false;
  socket.on('data', (b: Buffer) => { got = Buffer.concat([got, b]); });
  socket.on('close', () => { ended = true; });
  socket.on('error', () => undefined);
  await until(() => got.includes('\r\n\r\n'), 'the 101 answer');
  const end = got.indexOf('\r\n\r\n') + 4;
  const head = got.subarray(0, end).toString('latin1');
  expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
  expect(head).toContain(`Sec-WebSocket-Accept: ${acceptKey(key)}\r\n`);
  return { socket, received: () => got.subarray(end), ended: () => ended };
}

/** Plain HTTP to the relay port: the answer's status line. */
async function statusOf(port: number, request: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(request);
  const chunks: Buffer[] = [];
  socket.on('data', (b: Buffer) => chunks.push(b));
  await new Promise((res) => socket.on('close', res));
  return Buffer.concat(chunks).toString('latin1').split('\r\n')[0]!;
}

const addon = frontAddon();

describe.skipIf(addon === null)('native front, VLESS over WebSocket', () => {
  it('relays SOCKS5 → VLESS/WS → relay → echo with the WebSocket native on both ends, with exact bytes', async () => {
    const r = await relay();
    expect(r.lines().join('\n')).toMatch(/VLESS relay \(WebSocket \/vl, native front\)/);
    const rig = await startVlessProxy(r.port, ALICE, { transport: { type: 'ws', path: `${PATH}?ed=0` } });
    closers.push(() => rig.close());
    const chunk = randomBytes(300_000); // frames with 16- and 64-bit lengths both ways
    const { c, reply } = await socksConnect(rig, echo.port);
    expect(reply[1]).toBe(0);
    c.write(chunk);
    expect((await c.read(chunk.length)).equals(chunk)).toBe(true);
    // The client's FIN cannot cross a WebSocket (no half-close): the relay ends once the other way
    // has been quiet for 2 s.
    c.socket.destroy();
    await rig.stats.waitClosed(1, 4000);
    expect(rig.stats.finalSamples.get(rig.stats.closedConns[0]!)).toEqual([chunk.length, chunk.length]);
    await until(() => userBytes(r, 'alice').down === chunk.length, 'the relay counted');
    expect(userBytes(r, 'alice')).toEqual({ up: chunk.length, down: chunk.length });
  });

  it('reads split headers, fragments, text frames and pings; answers a close', async () => {
    const r = await relay();
    const { socket, received, ended } = await upgraded(r.port);
    const header = vlessHeader(ALICE, echo.port);
    // The VLESS header in two fragments (binary + continuation), the first frame's header byte by byte.
    const first = clientFrame(0x2, header.subarray(0, 10), false);
    for (const b of first) socket.write(Buffer.from([b]));
    socket.write(Buffer.concat([clientFrame(0x0, header.subarray(10), true), clientFrame(0x9, Buffer.from('are you there')), clientFrame(0x1, Buffer.from('text'))]));
    // The pong carries the ping's payload; the data frames carry [0, 0] (the response header) + "text".
    await until(() => received().includes('text'), 'the echo');
    const frames = serverFrames(received());
    expect(frames[0]).toEqual({ op: 0xa, payload: Buffer.from('are you there') });
    expect(Buffer.concat(frames.slice(1).map((f) => f.payload))).toEqual(Buffer.from([0, 0, 0x74, 0x65, 0x78, 0x74]));
    expect(frames.slice(1).every((f) => f.op === 0x2)).toBe(true);
    socket.write(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
    await until(() => ended(), 'the close');
    expect(serverFrames(received()).at(-1)).toEqual({ op: 0x8, payload: Buffer.from([0x03, 0xe8]) });
  });

  it('closes a client that breaks the protocol (an unmasked frame)', async () => {
    const r = await relay();
    const { socket, ended } = await upgraded(r.port);
    const header = vlessHeader(ALICE, echo.port);
    socket.write(Buffer.concat([Buffer.from([0x82, header.length]), header]));
    await until(() => ended(), 'the close');
  });

  it('leaves every other request to the JS acceptor: 404, 426, 400', async () => {
    const r = await relay();
    const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\n';
    expect(await statusOf(r.port, 'GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 404 Not Found');
    expect(await statusOf(r.port, `GET ${PATH} HTTP/1.1\r\nHost: x\r\n${upgrade}Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`))
      .toBe('HTTP/1.1 426 Upgrade Required');
    expect(await statusOf(r.port, `GET ${PATH} HTTP/1.1\r\nHost: x\r\n${upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n`))
      .toBe('HTTP/1.1 400 Bad Request');
    // A head longer than the native buffer goes to JS as well, which upgrades it.
    const ws = new WebSocket(`ws://127.0.0.1:${r.port}${PATH}`, { headers: { Cookie: 'x'.repeat(2000) }, perMessageDeflate: false });
    closers.push(() => ws.terminate());
    await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
    const replies: Buffer[] = [];
    ws.on('message', (d: Buffer) => replies.push(d));
    ws.send(Buffer.concat([vlessHeader(ALICE, echo.port), Buffer.from('long head')]));
    await until(() => Buffer.concat(replies).length >= 11, 'the echo');
    expect(Buffer.concat(replies)).toEqual(Buffer.concat([Buffer.from([0, 0]), Buffer.from('long head')]));
  });

  it('gives clients the JS path serves (speed limits, UDP) a plain stream behind the WebSocket', async () => {
    const r = await relay([relayUser('alice', ALICE), relayUser('slow', SLOW, { downLimitBps: 4_000_000 })]);
    await expectSlowUserRelayed(r, SLOW, echo.port, { wsPath: PATH });
  });
});
