import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { encodeAddress } from '../codec/address';
import { encodeUdpDatagram, parseUdpDatagram } from '../codec/socks5';
import { parseRequest, type VlessRequest } from '../codec/vless';
import { fixture, payload, rawClient, type RawClient } from './mixed-harness';

/** One request a FakeVless server accepted. */
export interface FakeRequest {
  request: VlessRequest;
  /** The server's end of the connection (allowHalfOpen); `rest` = payload read with the header. */
  socket: Socket;
  rest: Buffer;
}

export interface FakeVless {
  port: number;
  requests: VlessRequest[];
  close(): Promise<void>;
}

/**
 * A VLESS server made of the codec, for byte-level tests of the client: parses each request
 * header (accumulating reads) and hands it to `onRequest`, which answers as the test wants.
 * Invalid headers close the connection. With `tls`, it speaks TLS with the mixed-tls fixture
 * certificate (CN=localhost).
 */
export async function startFakeVless(onRequest: (r: FakeRequest) => void, opts: { tls?: boolean } = {}): Promise<FakeVless> {
  const sockets = new Set<Socket>();
  const requests: VlessRequest[] = [];
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const r = parseRequest(buf);
      if (r.kind === 'incomplete') return;
      socket.off('data', onData);
      socket.pause();
      if (r.kind === 'invalid') {
        socket.destroy();
        return;
      }
      requests.push(r);
      onRequest({ request: r, socket, rest: buf.subarray(r.headerLength) });
    };
    socket.on('data', onData);
  };
  const server = opts.tls
    ? tls.createServer({ allowHalfOpen: true, key: readFileSync(fixture('mixed-tls-key.pem')), cert: readFileSync(fixture('mixed-tls-cert.pem')) }, onConnection)
    : net.createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** SOCKS5 CONNECT through a proxy (no auth): the reply code, and the client to talk on when it is 0. */
export async function socks5Connect(proxyPort: number, host: string, port: number): Promise<{ reply: number; client: RawClient }> {
  const client = await rawClient(proxyPort);
  client.write(Buffer.from([5, 1, 0]));
  await client.read(2);
  client.write(Buffer.concat([Buffer.from([5, 1, 0]), encodeAddress(host, port)]));
  const head = await client.read(4, 10_000);
  const addrLen = head[3] === 1 ? 4 : head[3] === 4 ? 16 : (await client.read(1))[0]!;
  await client.read(addrLen + 2);
  return { reply: head[1]!, client };
}

/** A SOCKS5 UDP ASSOCIATE client: send() wraps datagrams for the relay, next() unwraps replies. */
export interface Socks5Udp {
  control: RawClient;
  send(to: { host: string; port: number }, data: Buffer): void;
  /** The next reply datagram with the sender the relay named; rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<{ from: { host: string; port: number }; data: Buffer }>;
  close(): Promise<void>;
}

export async function socks5UdpAssociate(proxyPort: number): Promise<Socks5Udp> {
  const control = await rawClient(proxyPort);
  control.write(Buffer.from([5, 1, 0]));
  await control.read(2);
  control.write(Buffer.concat([Buffer.from([5, 3, 0]), encodeAddress('0.0.0.0', 0)]));
  const head = await control.read(4);
  if (head[1] !== 0) throw new Error(`UDP ASSOCIATE refused with reply ${head[1]}`);
  const bind = await control.read(6);
  const relayPort = bind.readUInt16BE(4);
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const queue: { from: { host: string; port: number }; data: Buffer }[] = [];
  let wake: (() => void) | null = null;
  udp.on('message', (msg) => {
    const d = parseUdpDatagram(msg);
    if (d.kind === 'invalid') return;
    queue.push({ from: d.dst, data: Buffer.from(d.payload) });
    wake?.();
  });
  return {
    control,
    send: (to, data) => udp.send(encodeUdpDatagram(to, data), relayPort, '127.0.0.1'),
    next: (timeoutMs = 5000) => new Promise((resolve, reject) => {
      const take = () => {
        const item = queue.shift();
        if (!item) return false;
        clearTimeout(timer);
        wake = null;
        resolve(item);
        return true;
      };
      const timer = setTimeout(() => {
        wake = null;
        reject(new Error('no UDP reply in time'));
      }, timeoutMs);
      if (!take()) wake = () => void take();
    }),
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      control.socket.destroy();
      await control.closed;
    },
  };
}

/**
 * A TCP target with a length-prefixed exchange (no half-close needed, so it works over WebSocket
 * too): the client sends a u32 length N and N bytes; the target answers the 64 hex digits of
 * their SHA-256 followed by payload(downSize), and closes.
 */
export async function startExchangeTarget(downSize: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let want = -1;
    let got = 0;
    let head = Buffer.alloc(0);
    const hash = createHash('sha256');
    socket.on('data', (c: Buffer) => {
      if (want < 0) {
        head = Buffer.concat([head, c]);
        if (head.length < 4) return;
        want = head.readUInt32BE(0);
        c = head.subarray(4);
      }
      hash.update(c);
      got += c.length;
      if (got >= want) {
        socket.write(hash.digest('hex'));
        socket.end(payload(downSize));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** Runs one exchange with startExchangeTarget over `client`: resolves with what came back. */
export async function runExchange(client: RawClient, up: Buffer, downSize: number, timeoutMs = 15_000): Promise<{ hash: string; down: Buffer }> {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(up.length);
  client.write(len);
  client.write(up);
  const hash = (await client.read(64, timeoutMs)).toString();
  const down = await client.read(downSize, timeoutMs);
  return { hash, down };
}
