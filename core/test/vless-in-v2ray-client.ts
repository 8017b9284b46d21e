import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeUdpDatagram, parseUdpDatagram } from '../codec/socks5';

/** Debian's v2ray 4.34 (PROTOCOLS.md §5.5). */
export const V2RAY = '/usr/bin/v2ray';

/** One way v2ray reaches our relay: a SOCKS inbound of its own routed to a VLESS outbound. */
export interface V2rayRoute {
  /** Our relay's port on 127.0.0.1. */
  relayPort: number;
  uuid: string;
  transport: 'tcp' | 'ws';
  tls?: boolean;
  /** WebSocket path. */
  path?: string;
}

export interface V2rayClient {
  /** The SOCKS5 port (TCP, and UDP ASSOCIATE) for each route, in order. */
  socksPorts: number[];
  output(): string;
  /** SIGTERM, SIGKILL after 2 s; removes the temp dir. */
  close(): Promise<void>;
}

/**
 * Starts v2ray as a VLESS client of our relay (interop direction b of issue #4): per route a
 * SOCKS inbound (udp on) → a VLESS outbound (TLS with allowInsecure, for self-signed certs).
 * Resolves once every SOCKS port accepts connections (at most 10 s).
 */
export async function startV2rayClient(routes: V2rayRoute[]): Promise<V2rayClient> {
  const socksPorts: number[] = [];
  for (let i = 0; i < routes.length; i++) socksPorts.push(await freePort());
  const config = {
    log: { loglevel: 'warning' },
    inbounds: routes.map((_, i) => ({
      tag: `socks${i}`, listen: '127.0.0.1', port: socksPorts[i], protocol: 'socks', settings: { udp: true, ip: '127.0.0.1' },
    })),
    outbounds: routes.map((r, i) => ({
      tag: `vless${i}`, protocol: 'vless',
      settings: { vnext: [{ address: '127.0.0.1', port: r.relayPort, users: [{ id: r.uuid, encryption: 'none' }] }] },
      streamSettings: {
        network: r.transport,
        ...(r.transport === 'ws' ? { wsSettings: { path: r.path ?? '/' } } : {}),
        ...(r.tls ? { security: 'tls', tlsSettings: { serverName: 'localhost', allowInsecure: true } } : {}),
      },
    })),
    routing: { rules: routes.map((_, i) => ({ type: 'field', inboundTag: [`socks${i}`], outboundTag: `vless${i}` })) },
  };
  const dir = mkdtempSync(join(tmpdir(), 'relaydesk-v2ray-client-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = spawn(V2RAY, ['-config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    if (out.length < 64 * 1024) out += b.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const close = async () => {
    await stop(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitListening(socksPorts, child, () => out);
  } catch (err) {
    await close();
    throw err;
  }
  return { socksPorts, output: () => out, close };
}

/**
 * One datagram round trip through a SOCKS5 proxy's UDP ASSOCIATE (RFC 1928 §7): sends `payloads`
 * to `dst` and resolves with the replies' payloads (as many as were sent) within `timeoutMs`.
 */
export async function socksUdpExchange(socksPort: number, dst: { host: string; port: number }, payloads: Buffer[], timeoutMs = 5000): Promise<Buffer[]> {
  const ctl = net.connect(socksPort, '127.0.0.1');
  const udp = dgram.createSocket('udp4');
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((r, j) => ctl.once('connect', r).once('error', j));
    const read = readerOf(ctl);
    ctl.write(Buffer.from([5, 1, 0]));
    expect2(await read(2), [5, 0], 'greeting');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const local = udp.address();
    ctl.write(Buffer.concat([Buffer.from([5, 3, 0, 1, 127, 0, 0, 1]), u16(local.port)]));
    const reply = await read(10);
    if (reply[1] !== 0) throw new Error(`UDP ASSOCIATE refused: ${reply[1]}`);
    const relayPort = reply.readUInt16BE(8);
    const got: Buffer[] = [];
    const done = new Promise<Buffer[]>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${got.length} of ${payloads.length} UDP replies within ${timeoutMs} ms`)), timeoutMs);
      udp.on('message', (msg) => {
        const d = parseUdpDatagram(msg);
        if (d.kind === 'invalid') return reject(new Error(`bad SOCKS UDP reply: ${d.reason}`));
        got.push(Buffer.from(d.payload));
        if (got.length === payloads.length) resolve(got);
      });
    });
    for (const p of payloads) {
      udp.send(encodeUdpDatagram(dst, p), relayPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 5));
    }
    return await done;
  } finally {
    clearTimeout(timer);
    ctl.destroy();
    udp.close();
  }
}

function readerOf(socket: net.Socket): (n: number) => Promise<Buffer> {
  let buf = Buffer.alloc(0);
  let want: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  const check = () => {
    if (want && buf.length >= want.n) {
      const w = want;
      want = null;
      const out = buf.subarray(0, w.n);
      buf = buf.subarray(w.n);
      w.resolve(out);
    }
  };
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    check();
  });
  socket.on('close', () => want?.reject(new Error('SOCKS control connection closed')));
  socket.on('error', () => undefined);
  return (n) => new Promise((resolve, reject) => {
    want = { n, resolve, reject };
    check();
  });
}

function expect2(got: Buffer, want: number[], what: string): void {
  if (!got.equals(Buffer.from(want))) throw new Error(`SOCKS ${what}: got ${got.toString('hex')}`);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitListening(ports: number[], child: ChildProcess, output: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`v2ray exited (${child.exitCode ?? child.signalCode}): ${output()}`);
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1' });
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`v2ray did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 2000)))]);
  clearTimeout(timer);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}
