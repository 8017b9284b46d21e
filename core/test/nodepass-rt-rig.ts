import dgram from 'node:dgram';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { InstanceContext } from '../adapter';
import { parseInstanceUrl, type NodePassUrl } from '../codec/nodepass-url';
import { LogBus } from '../log/logger';
import { createRelay, createRouter, type EngineRelay } from '../route';
import { DIRECT_SETTINGS, builtinOutbounds } from './route-rig';
import { StatsRecorder } from './route-stats-recorder';

/** An InstanceContext on the real relay and router (direct), with recorded stats and logs. */
export interface TunnelTestCtx extends InstanceContext {
  relay: EngineRelay;
  stats: StatsRecorder;
  logs: LogBus;
}

export function tunnelCtx(instanceId = 'np'): TunnelTestCtx {
  const logs = new LogBus({ level: 'debug', capacity: 2000, echo: process.env.NP_DEBUG ? (e) => console.error(instanceId, e.level, e.message) : undefined });
  const stats = new StatsRecorder();
  const outbounds = builtinOutbounds();
  const router = createRouter({ settings: () => DIRECT_SETTINGS, outbound: (t) => outbounds.get(t), log: logs.logger('route') });
  const relay = createRelay({ router, stats, log: logs.logger('relay') });
  let n = 0;
  return { instanceId, router, relay, stats, logs, log: logs.logger(`instance:${instanceId}`), nextConnId: () => `c${++n}` };
}

export function npUrl(text: string): NodePassUrl {
  const r = parseInstanceUrl(text);
  if (!r.ok) throw new Error(r.error);
  return r.url;
}

/** A free loopback port (listen on 0, close): for URLs that must name a port up front. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A loopback HTTP server answering "hello from <name>" to every request. */
export async function helloServer(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => res.end(`hello from ${name}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A loopback UDP echo server. */
export async function udpEcho(): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, from) => s.send(m, from.port, from.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, close: () => s.close() };
}

/** Sends one datagram to 127.0.0.1:port and resolves with the first answer (rejects after ms). */
export async function udpRoundTrip(port: number, payload: Buffer, ms = 3000): Promise<Buffer> {
  const s = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no UDP answer')), ms);
      s.once('message', (m) => { clearTimeout(t); resolve(m); });
      s.send(payload, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

/** A TCP server that records what each connection sent (until its end) and what `greet` wrote. */
export async function recordingServer(): Promise<{ port: number; received: Promise<Buffer>[]; close(): Promise<void> }> {
  const received: Promise<Buffer>[] = [];
  const socks = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => {});
    received.push(new Promise((resolve) => {
      const parts: Buffer[] = [];
      s.on('data', (c: Buffer) => parts.push(c));
      s.on('end', () => { resolve(Buffer.concat(parts)); s.end(); });
      s.on('close', () => resolve(Buffer.concat(parts)));
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port, received,
    close: () => new Promise((r) => { for (const s of socks) s.destroy(); server.close(() => r()); }),
  };
}

/** curl http://127.0.0.1:port/ (the real client), resolving with its stdout. */
export async function curl(port: number, timeoutS = 5): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', String(timeoutS), `http://127.0.0.1:${port}/`], (err, out, errOut) => {
      if (err) reject(new Error(`curl: ${errOut || err.message}`));
      else resolve(out);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 20 ms until it holds; rejects after `ms` naming `what`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Whether a TCP connection to 127.0.0.1:port is accepted (closed again at once). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Two connected loopback sockets (a listener opened and closed for the purpose). */
export async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const a = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, allowHalfOpen: true });
  const b = await accepted;
  await new Promise<void>((r) => (a.connecting ? a.once('connect', () => r()) : r()));
  // Stops listening now; 'close' would wait for the pair to end.
  server.close();
  return [a, b];
}
