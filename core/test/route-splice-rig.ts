import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import { spliceRelay, type SpliceHandle } from '../route/splice';

/** The four sockets of one connection through the rig's proxy. */
export interface RigSockets {
  /** The test's client end (talks to the proxy). */
  client: Socket;
  /** The test's destination end (accepted by the destination server). */
  server: Socket;
  /** The proxy's sockets, handed to the native relay and destroyed when it ends. */
  proxyClient: Socket;
  proxyRemote: Socket;
}

/** One relayed connection: the rig's sockets and the native relay between the proxy's two. */
export interface SplicedPair extends RigSockets {
  relay: SpliceHandle;
  /** Resolves with onEnd's argument, after the proxy's sockets were destroyed. */
  ended: Promise<Error | undefined>;
}

/**
 * A loopback proxy rig: a destination server and a proxy server whose accepted connections are
 * joined to the destination by spliceRelay. Every socket allows half-open so the tests see
 * exactly what the relay propagates.
 */
export class SpliceRig {
  private readonly proxy = new Acceptor();
  private readonly destination = new Acceptor();
  private readonly sockets = new Set<Socket>();

  async start(): Promise<void> {
    await this.proxy.start((s) => this.track(s));
    await this.destination.start((s) => this.track(s));
  }

  /** Connects a client through the proxy to the destination; nothing relays yet. */
  async connect(): Promise<RigSockets> {
    const client = this.track(net.connect({ port: this.proxy.port, host: '127.0.0.1', allowHalfOpen: true }));
    await once(client, 'connect');
    const proxyClient = await this.proxy.accepted(client.localPort as number);
    const proxyRemote = this.track(net.connect({ port: this.destination.port, host: '127.0.0.1', allowHalfOpen: true }));
    await once(proxyRemote, 'connect');
    const server = await this.destination.accepted(proxyRemote.localPort as number);
    return { client, server, proxyClient, proxyRemote };
  }

  /** connect(), then hands the proxy's two sockets to the native relay. */
  async pair(idleTimeoutMs = 10_000): Promise<SplicedPair> {
    const sockets = await this.connect();
    const { proxyClient, proxyRemote } = sockets;
    let resolveEnded!: (err: Error | undefined) => void;
    const ended = new Promise<Error | undefined>((r) => (resolveEnded = r));
    const relay = spliceRelay(proxyClient, proxyRemote, { idleTimeoutMs }, (err) => {
      proxyClient.destroy();
      proxyRemote.destroy();
      resolveEnded(err);
    });
    if (!relay) throw new Error('spliceRelay returned null for two fresh TCP sockets');
    return { ...sockets, relay, ended };
  }

  /** Sockets of the rig still open (the test's ends and the proxy's). */
  openSockets(): number {
    return this.sockets.size;
  }

  /** Destroys every socket still open and closes both servers. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.proxy.close(), this.destination.close()]);
  }

  private track(s: Socket): Socket {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
    return s;
  }
}

/** A loopback server whose accepted sockets are claimed by the peer's port. */
class Acceptor {
  port = 0;
  private readonly server = net.createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
  private readonly ready = new Map<number, Socket>();
  private readonly waiters = new Map<number, (s: Socket) => void>();
  private track: (s: Socket) => void = () => {};

  async start(track: (s: Socket) => void): Promise<void> {
    this.track = track;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  accepted(peerPort: number): Promise<Socket> {
    const s = this.ready.get(peerPort);
    if (s) {
      this.ready.delete(peerPort);
      return Promise.resolve(s);
    }
    return new Promise((resolve) => this.waiters.set(peerPort, resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(s: Socket): void {
    this.track(s);
    const port = s.remotePort as number;
    const waiter = this.waiters.get(port);
    if (waiter) {
      this.waiters.delete(port);
      waiter(s);
    } else {
      this.ready.set(port, s);
    }
  }
}

export function once(emitter: Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEvent = () => {
      emitter.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      emitter.off(event, onEvent);
      reject(err);
    };
    emitter.once(event, onEvent);
    emitter.once('error', onError);
  });
}

/** Reads a socket to its end; resolves with the byte count and sha256 of what arrived. */
export function drain(socket: Socket): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    socket.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    socket.once('error', reject);
  });
}

/** Reads a socket to its end and resolves with everything that arrived (small payloads). */
export function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Writes `data` in 64 KiB chunks honouring backpressure, then ends the socket. */
export async function sendAll(socket: Socket, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; at += 65536) {
    if (!socket.write(data.subarray(at, at + 65536))) await once(socket, 'drain');
  }
  socket.end();
}

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 5 ms until it holds or `ms` passed; returns its last result. */
export async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await sleep(5);
  return check();
}

/** Socket, server and timer handles of this process (process.getActiveResourcesInfo()). */
export function liveHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'TCPWrap' || r === 'Timeout').length;
}
