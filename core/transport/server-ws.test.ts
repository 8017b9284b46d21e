import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWsAcceptor, type WsStream } from './server-ws';
import { dialWs } from './ws';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function acceptor(timeoutMs = 2000): Promise<{ port: number; streams: WsStream[] }> {
  const streams: WsStream[] = [];
  const ws = createWsAcceptor({ path: '/carry', timeoutMs }, (s) => {
    streams.push(s);
    s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
  });
  const server = net.createServer((socket) => ws.accept(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => { ws.close(); server.close(() => r()); }));
  return { port: (server.address() as AddressInfo).port, streams };
}

/** Sends raw bytes and resolves with everything the server wrote until it closed (or 3 s, or a 101 head). */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let got = '';
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // A 101 keeps the connection open: its head is all there is to see.
      if (got.startsWith('HTTP/1.1 101') && got.includes('\r\n\r\n')) s.destroy();
    });
    s.on('error', () => undefined);
    s.on('close', () => { clearTimeout(t); resolve(got); });
  });
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const upgrade = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n${extra}\r\n`;

describe('createWsAcceptor', () => {
  it('upgrades at its path and carries bytes both ways with our client', async () => {
    const { port, streams } = await acceptor();
    const conn = await dialWs({ host: '127.0.0.1', port, path: '/carry?x=1' });
    const got = new Promise<string>((r) => conn.once('data', (d: Buffer) => r(d.toString())));
    conn.resume();
    conn.write(Buffer.from('hi'));
    expect(await got).toBe('echo:hi');
    expect(streams.length).toBe(1);
    conn.destroy();
  });

  it('answers 101 with the RFC 6455 accept key', async () => {
    const { port } = await acceptor();
    const answer = exchange(port, upgrade('/carry', `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n`));
    expect(await answer).toContain('HTTP/1.1 101 Switching Protocols\r\n');
    expect(await answer).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
  });

  it('refuses other paths and plain requests (404), other versions (426), bad keys (400), huge heads (431)', async () => {
    const { port, streams } = await acceptor();
    expect(await exchange(port, upgrade('/other', `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n`))).toMatch(/^HTTP\/1\.1 404 /);
    expect(await exchange(port, 'GET /carry HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 404 /);
    expect(await exchange(port, upgrade('/carry', `Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: ${KEY}\r\n`))).toMatch(/^HTTP\/1\.1 426 [^]*Sec-WebSocket-Version: 13/);
    expect(await exchange(port, upgrade('/carry', 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n'))).toMatch(/^HTTP\/1\.1 400 /);
    expect(await exchange(port, `GET /carry HTTP/1.1\r\nX: ${'a'.repeat(20_000)}`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(streams.length).toBe(0);
  });

  it('cuts a client that does not finish its request in time', async () => {
    const { port } = await acceptor(200);
    const started = Date.now();
    expect(await exchange(port, 'GET /carry HTTP/1.1\r\n')).toBe('');
    expect(Date.now() - started).toBeLessThan(2500);
  });
});
