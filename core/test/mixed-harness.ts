import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { InstanceRunner, Outbound } from '../adapter';
import { createMixedInbound } from '../inbound/mixed';
import { LogBus } from '../log/logger';
import { createBlockOutbound } from '../outbound/block';
import { createDirectOutbound } from '../outbound/direct';
import { createRelay, createRouter, type EngineRelay } from '../route';
import type { LookupFn } from '../route/lookup-cache';
import { MixedSpec, RouteSettings, parseHostPort } from '../rpc';
import { StatsRecorder } from './route-stats-recorder';

/** A mixed inbound on loopback port 0 wired to the real router, relay and direct/block outbounds. */
export interface MixedRig {
  inbound: InstanceRunner;
  /** "127.0.0.1:P" as the inbound reports it. */
  address: string;
  host: string;
  port: number;
  stats: StatsRecorder;
  relay: EngineRelay;
  logs: LogBus;
  /** Replaces the route settings (read on every route). */
  setRoute(input: unknown): void;
  close(): Promise<void>;
}

/**
 * `route` is RouteSettings input (default: rule mode, no LAN bypass, everything else direct);
 * `extra` adds outbounds by tag next to "direct" and "block"; `lookup` replaces the router's resolver.
 */
export async function startMixed(
  spec: Partial<MixedSpec> = {}, route: unknown = { mode: 'rule', lanBypass: false }, extra: Outbound[] = [], lookup?: LookupFn,
): Promise<MixedRig> {
  const logs = new LogBus({ level: 'debug', capacity: 2000 });
  const stats = new StatsRecorder();
  const outbounds = new Map<string, Outbound>([
    ['direct', createDirectOutbound({ log: logs.logger('direct'), connectTimeoutMs: 3000 })],
    ['block', createBlockOutbound()],
    ...extra.map((o) => [o.tag, o] as [string, Outbound]),
  ]);
  let settings = RouteSettings.parse(route);
  const router = createRouter({ settings: () => settings, outbound: (t) => outbounds.get(t), log: logs.logger('route'), lookup });
  const relay = createRelay({ router, stats, log: logs.logger('relay') });
  let n = 0;
  const ctx = { instanceId: 'mix', router, relay, stats, log: logs.logger('instance:mix'), nextConnId: () => `c${++n}` };
  const inbound = createMixedInbound(MixedSpec.parse({ type: 'mixed', listen: '127.0.0.1:0', ...spec }), ctx);
  await inbound.start();
  const address = inbound.address()!;
  const hp = parseHostPort(address)!;
  return {
    inbound, address, host: hp.host, port: hp.port, stats, relay, logs,
    setRoute(input) {
      settings = RouteSettings.parse(input);
    },
    async close() {
      await inbound.close();
      relay.closeAll('test done');
    },
  };
}

/** An outbound tagged "late" that dials like direct, but only after `delayMs` (ignoring aborts). */
export function lateDirect(delayMs: number): Outbound {
  const direct = createDirectOutbound({ connectTimeoutMs: 3000 });
  return {
    tag: 'late', type: 'test',
    dialTcp: async (meta) => {
      await new Promise((r) => setTimeout(r, delayMs));
      return direct.dialTcp(meta);
    },
    openUdp: (meta) => direct.openUdp(meta),
  };
}

/** Log lines at warn or above (a clean run has none). */
export function warnings(rig: MixedRig): string[] {
  return rig.logs.entries({ limit: 2000, level: 'warn' }).map((e) => `${e.source}: ${e.message}`);
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Deterministic pseudo-random bytes (same `size` → same content). */
export function payload(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let s = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

export interface Target {
  port: number;
  /** Requests seen, as "METHOD url". */
  seen: string[];
  /** Headers of the last request. */
  lastHeaders: http.IncomingHttpHeaders;
  /** Distinct client connections (source ports) seen. */
  connections: Set<number>;
  close(): Promise<void>;
}

/**
 * A loopback origin: GET /big?n=BYTES streams payload(n); POST /upload answers "sha256 size" of the
 * body; GET /echo answers its request headers as JSON; anything else answers "hello <path>".
 */
export async function startOrigin(tlsFixture = false): Promise<Target> {
  const target: Target = { port: 0, seen: [], lastHeaders: {}, connections: new Set(), close: async () => undefined };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    target.seen.push(`${req.method} ${req.url}`);
    target.lastHeaders = req.headers;
    target.connections.add(req.socket.remotePort!);
    const url = new URL(req.url!, 'http://x');
    if (req.method === 'POST' && url.pathname === '/upload') {
      const h = createHash('sha256');
      let size = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        size += c.length;
      });
      req.on('end', () => res.end(`${h.digest('hex')} ${size}`));
      return;
    }
    if (url.pathname === '/big') {
      const body = payload(Number(url.searchParams.get('n')));
      res.writeHead(200, { 'content-length': body.length, 'x-sha256': sha256(body) });
      res.end(body);
      return;
    }
    if (url.pathname === '/echo') {
      res.setHeader('connection', 'keep-alive, X-Origin-Hop');
      res.setHeader('x-origin-hop', 'must not reach the client');
      res.end(JSON.stringify(req.headers));
      return;
    }
    res.end(`hello ${url.pathname}`);
  };
  const server = tlsFixture
    ? https.createServer({ key: readFileSync(fixture('mixed-tls-key.pem')), cert: readFileSync(fixture('mixed-tls-cert.pem')) }, handler)
    : http.createServer(handler);
  server.keepAliveTimeout = 2000;
  // Upgrade: answers 101 and then echoes every byte back, prefixed once with "upgraded:".
  const upgraded = new Set<Socket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.on('error', () => undefined);
    target.seen.push(`UPGRADE ${req.url}`);
    target.lastHeaders = req.headers;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\nupgraded:`);
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  target.port = (server.address() as AddressInfo).port;
  target.close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    for (const sock of upgraded) sock.destroy();
    server.close(() => r());
  });
  return target;
}

export function fixture(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).pathname;
}

/** A UDP echo on loopback (IPv4 or IPv6) answering each datagram with "echo:" + payload. */
export async function startUdpEcho(host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('message', (msg, rinfo) => s.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
  await new Promise<void>((r) => s.bind(0, host, r));
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

/** A port on loopback where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs curl (binary output kept as a Buffer) with a hard timeout. */
export function curl(args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args],
      { timeout: timeoutMs + 2000, maxBuffer: 64 << 20, encoding: 'buffer' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr: stderr.toString() });
      });
  });
}

/** A raw TCP client for byte-level handshakes: exact reads with a deadline. */
export interface RawClient {
  socket: Socket;
  write(bytes: Buffer | string): void;
  /** The next `n` bytes; rejects on timeout or when the server closes first. */
  read(n: number, timeoutMs?: number): Promise<Buffer>;
  /** Everything until the server closes. */
  readAll(timeoutMs?: number): Promise<Buffer>;
  /** Resolves with the time (ms since connect) when the server closed the connection. */
  closed: Promise<number>;
}

export async function rawClient(port: number, host = '127.0.0.1'): Promise<RawClient> {
  const socket = net.connect({ port, host, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const started = Date.now();
  let buf = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  socket.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    wake?.();
  });
  const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - started)));
  socket.on('end', () => {
    ended = true;
    // Like a real client: the server's FIN ends the conversation.
    socket.end();
    wake?.();
  });
  socket.on('error', () => undefined);
  void closed.then(() => {
    ended = true;
    wake?.();
  });
  const waitUntil = (done: () => boolean, timeoutMs: number, what: string) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (done()) {
        clearTimeout(timer);
        wake = null;
        resolve();
      } else if (ended) {
        clearTimeout(timer);
        wake = null;
        reject(new Error(`server closed before ${what} (have ${buf.toString('hex')})`));
      }
    };
    const timer = setTimeout(() => {
      wake = null;
      reject(new Error(`timed out waiting for ${what} (have ${buf.toString('hex')})`));
    }, timeoutMs);
    wake = check;
    check();
  });
  return {
    socket,
    closed,
    write: (b) => socket.write(b),
    async read(n, timeoutMs = 5000) {
      await waitUntil(() => buf.length >= n, timeoutMs, `${n} bytes`);
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    },
    async readAll(timeoutMs = 5000) {
      await waitUntil(() => false, timeoutMs, 'the end').catch((err: Error) => {
        if (!ended) throw err;
      });
      const out = buf;
      buf = Buffer.alloc(0);
      return out;
    },
  };
}
