import { createServer, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';

/** A local HTTP origin for traffic through the proxy. */
export interface Origin {
  host: string;
  port: number;
  /** Ends every /hold response still open. */
  releaseAll(): void;
  close(): Promise<void>;
}

/**
 * Serves `GET /bytes/<n>` (n zero bytes) and `GET /hold` (headers, then a byte every 200 ms
 * until `releaseAll()` or the client leaves) on 127.0.0.1 port 0.
 */
export async function startOrigin(): Promise<Origin> {
  const holds = new Set<{ res: ServerResponse; timer: ReturnType<typeof setInterval> }>();
  const server: Server = createServer((req, res) => {
    const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (bytes) {
      const n = Number(bytes[1]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      res.end(Buffer.alloc(n));
      return;
    }
    if (req.url === '/hold') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const hold = { res, timer: setInterval(() => res.write('.'), 200) };
      holds.add(hold);
      res.on('close', () => { clearInterval(hold.timer); holds.delete(hold); });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as net.AddressInfo;
  const releaseAll = (): void => {
    for (const h of holds) { clearInterval(h.timer); h.res.end(); }
    holds.clear();
  };
  return {
    host: '127.0.0.1',
    port,
    releaseAll,
    async close() {
      releaseAll();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

/** Splits "host:port" / "[v6]:port". */
export function hostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  if (!m) throw new Error(`not host:port: ${value}`);
  return { host: m[1], port: Number(m[2]) };
}

/** Opens a TCP connection to `dest` through the SOCKS5 proxy at `proxy` (no auth, IPv4 or domain). */
export async function socks5Connect(proxy: string, dest: { host: string; port: number }, timeoutMs = 5000): Promise<net.Socket> {
  const p = hostPort(proxy);
  const socket = net.connect(p.port, p.host);
  const reader = bufferedReader(socket);
  const timer = setTimeout(() => socket.destroy(new Error(`SOCKS5 handshake with ${proxy} timed out`)), timeoutMs);
  try {
    await new Promise<void>((res, rej) => { socket.once('connect', res); socket.once('error', rej); });
    socket.write(Buffer.from([5, 1, 0]));
    const method = await reader.read(2);
    if (method[0] !== 5 || method[1] !== 0) throw new Error(`SOCKS5 method refused: ${method.toString('hex')}`);
    const v4 = net.isIPv4(dest.host);
    const addr = v4
      ? Buffer.from([1, ...dest.host.split('.').map(Number)])
      : Buffer.concat([Buffer.from([3, Buffer.byteLength(dest.host)]), Buffer.from(dest.host)]);
    const port = Buffer.alloc(2);
    port.writeUInt16BE(dest.port);
    socket.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, port]));
    const head = await reader.read(4);
    if (head[1] !== 0) throw new Error(`SOCKS5 CONNECT failed with reply ${head[1]}`);
    const rest = head[3] === 1 ? 6 : head[3] === 4 ? 18 : (await reader.read(1))[0] + 2;
    await reader.read(rest);
    const leftover = reader.detach();
    if (leftover.length > 0) socket.unshift(leftover);
    return socket;
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Sends a GET over `socket` and resolves with the response body length once the server closes. */
export function httpGetOver(socket: net.Socket, host: string, path: string): Promise<number> {
  return new Promise((res, rej) => {
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => { received = Buffer.concat([received, d]); });
    socket.once('error', rej);
    socket.once('close', () => {
      const sep = received.indexOf('\r\n\r\n');
      res(sep < 0 ? 0 : received.length - sep - 4);
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    socket.resume();
  });
}

/** Whether a plain TCP connect to `address` is refused. */
export function connectRefused(address: string): Promise<boolean> {
  const { host, port } = hostPort(address);
  return new Promise((res) => {
    const s = net.connect(port, host);
    s.once('connect', () => { s.destroy(); res(false); });
    s.once('error', (err: NodeJS.ErrnoException) => res(err.code === 'ECONNREFUSED'));
  });
}

function bufferedReader(socket: net.Socket): { read(n: number): Promise<Buffer>; detach(): Buffer } {
  let buf = Buffer.alloc(0);
  let want: { n: number; res: (b: Buffer) => void; rej: (e: Error) => void } | null = null;
  const flush = (): void => {
    if (want && buf.length >= want.n) {
      const out = buf.subarray(0, want.n);
      buf = buf.subarray(want.n);
      const w = want;
      want = null;
      w.res(out);
    }
  };
  const onData = (d: Buffer): void => { buf = Buffer.concat([buf, d]); flush(); };
  const onEnd = (): void => { want?.rej(new Error('proxy closed the connection during the handshake')); };
  socket.on('data', onData);
  socket.on('close', onEnd);
  return {
    read(n) {
      return new Promise((res, rej) => { want = { n, res, rej }; flush(); });
    },
    detach() {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.pause();
      return buf;
    },
  };
}
