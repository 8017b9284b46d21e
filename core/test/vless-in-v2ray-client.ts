import dgram from 'node:dgram';
import net from 'node:net';
import { encodeUdpDatagram, parseUdpDatagram } from '../codec/socks5';
import { freePort, runV2ray, V2RAY_BIN } from './v2ray-harness';

/** Debian's v2ray 4.34 (PROTOCOLS.md §5.5). */
export const V2RAY = V2RAY_BIN;

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
  const run = await runV2ray(config, socksPorts, 'relaydesk-v2ray-client-');
  return { socksPorts, ...run };
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
