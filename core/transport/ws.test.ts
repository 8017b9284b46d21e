import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { isCoreError } from '../rpc';
import { fixture, payload, sha256 } from '../test/mixed-harness';
import { leakGuard } from '../test/route-rig';
import { dialWs, type WsConn } from './ws';

const cert = readFileSync(fixture('mixed-tls-cert.pem'));
const PIN = `sha256:${sha256(new X509Certificate(cert).raw)}`;

interface Peer {
  ws: WebSocket;
  path: string;
  host: string | undefined;
  extensions: string | undefined;
}

let guard: ReturnType<typeof leakGuard>;
let server: http.Server;
let wss: WebSocketServer;
let peers: Peer[];
let port: number;

async function startServer(secure: boolean): Promise<void> {
  server = secure ? https.createServer({ key: readFileSync(fixture('mixed-tls-key.pem')), cert }) : http.createServer();
  server.on('request', (_req, res) => res.writeHead(404).end());
  wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/carry') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => peers.push({ ws, path: req.url!, host: req.headers.host, extensions: req.headers['sec-websocket-extensions'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}

beforeEach(() => {
  guard = leakGuard();
  peers = [];
});
afterEach(async () => {
  for (const p of peers) p.ws.terminate();
  wss?.close();
  await new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await guard.check();
});

/** Bytes a WsConn delivers, and how it ended. */
function collect(conn: WsConn): { data: () => Buffer; ended: Promise<'end' | Error> } {
  const chunks: Buffer[] = [];
  conn.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<'end' | Error>((r) => {
    conn.once('end', () => r('end'));
    conn.once('error', (e: Error) => r(e));
  });
  conn.resume();
  return { data: () => Buffer.concat(chunks), ended };
}

describe('dialWs', () => {
  it('upgrades with the path and Host header, no compression, and carries bytes both ways in binary messages', async () => {
    await startServer(false);
    const conn = await dialWs({ host: '127.0.0.1', port, path: '/carry', hostHeader: 'cdn.example.test' });
    await vi.waitFor(() => expect(peers.length).toBe(1));
    const peer = peers[0]!;
    expect([peer.path, peer.host, peer.extensions]).toEqual(['/carry', 'cdn.example.test', undefined]);
    const received: { data: Buffer; binary: boolean }[] = [];
    peer.ws.on('message', (data: Buffer, binary: boolean) => received.push({ data, binary }));
    expect(conn.write(Buffer.from('up-1'))).toBe(true);
    conn.write(Buffer.from('up-2'));
    await vi.waitFor(() => expect(received.length).toBe(2));
    expect(received).toEqual([{ data: Buffer.from('up-1'), binary: true }, { data: Buffer.from('up-2'), binary: true }]);
    const got = collect(conn);
    peer.ws.send(Buffer.from('down-1'));
    peer.ws.send('text is bytes too');
    await vi.waitFor(() => expect(got.data().toString()).toBe('down-1text is bytes too'));
    // No half-close on a WebSocket: after end() the peer may still answer, then close.
    conn.end();
    expect(conn.write(Buffer.from('late'))).toBe(false);
    peer.ws.send(Buffer.from('+reply'));
    peer.ws.close(1000);
    expect(await got.ended).toBe('end');
    expect(got.data().toString()).toBe('down-1text is bytes too+reply');
    expect(received.length).toBe(2);
  });

  it('reports an abnormal close as an ECONNRESET error', async () => {
    await startServer(false);
    const conn = await dialWs({ host: '127.0.0.1', port, path: '/carry' });
    await vi.waitFor(() => expect(peers.length).toBe(1));
    const got = collect(conn);
    const closed = new Promise((r) => conn.once('close', r));
    peers[0]!.ws.terminate();
    const end = await got.ended;
    expect((end as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    await closed;
  });

  it('asks for drain under backpressure and drains once the peer reads', async () => {
    await startServer(false);
    const conn = await dialWs({ host: '127.0.0.1', port, path: '/carry' });
    await vi.waitFor(() => expect(peers.length).toBe(1));
    const peer = peers[0]!;
    peer.ws.pause();
    const chunk = payload(256 * 1024);
    let writes = 0;
    while (conn.write(chunk)) if (++writes > 400) throw new Error('never pushed back');
    let got = 0;
    peer.ws.on('message', (d: Buffer) => (got += d.length));
    const drained = new Promise((r) => conn.once('drain', r));
    peer.ws.resume();
    await drained;
    await vi.waitFor(() => expect(got).toBe((writes + 1) * chunk.length), { timeout: 5000 });
    conn.destroy();
  });

  it('fails with E_DIAL_FAILED naming the status when the server refuses the upgrade', async () => {
    await startServer(false);
    const err = await dialWs({ host: '127.0.0.1', port, path: '/elsewhere' }).catch((e: unknown) => e);
    expect(isCoreError(err, 'E_DIAL_FAILED')).toBe(true);
    expect((err as Error).message).toBe(`WebSocket upgrade of ws://127.0.0.1:${port}/elsewhere refused: HTTP 404 Not Found`);
  });

  it('runs over TLS (wss) with the pin checked', async () => {
    await startServer(true);
    const conn = await dialWs({ host: '127.0.0.1', port, path: '/carry', tls: { sni: 'localhost', insecure: true, pinSha256: PIN } });
    await vi.waitFor(() => expect(peers.length).toBe(1));
    const got = collect(conn);
    peers[0]!.ws.send(Buffer.from('secure'));
    peers[0]!.ws.close();
    expect(await got.ended).toBe('end');
    expect(got.data().toString()).toBe('secure');
    const wrong = await dialWs({ host: '127.0.0.1', port, path: '/carry', tls: { insecure: true, pinSha256: `sha256:${'1'.repeat(64)}` } }).catch((e: unknown) => e);
    expect((wrong as Error).message).toMatch(/^certificate pin mismatch/);
  });
});
