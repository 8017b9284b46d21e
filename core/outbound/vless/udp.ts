import type { Socket } from 'node:net';
import type { Destination, UdpConn } from '../../adapter';
import { encodeUdpFrame, UdpFrameDecoder } from '../../codec/vless-udp';
import { formatHostPort } from '../../common/net';
import type { Logger } from '../../log/logger';
import type { VlessStream } from './stream';

/** Destinations (VLESS connections) one conversation keeps; the least recently used goes first. */
const MAX_PEERS = 128;
/** Datagrams held per destination while its connection opens; more are dropped. */
const MAX_WAITING = 64;
/** Bytes queued towards the server above which datagrams are dropped instead of buffered. */
const MAX_QUEUED = 1 << 20;

type Open = (to: Destination) => Promise<Socket | VlessStream>;

/** One destination: its VLESS UDP connection (command 2), opened on the first datagram. */
interface Peer {
  key: string;
  /** The destination as the client named it: replies come back "from" it. */
  dest: Destination;
  conn: Socket | VlessStream | null;
  waiting: Buffer[] | null;
  decoder: UdpFrameDecoder;
  used: number;
}

/**
 * A UDP conversation through a VLESS server. VLESS carries one destination per connection, so
 * each destination gets its own connection, opened on its first datagram and kept until close()
 * (or until MAX_PEERS newer destinations pushed it out). Datagrams travel as `[u16 length][payload]`
 * frames; replies are delivered with `from` = the destination of their connection. Failures drop
 * datagrams with a debug note; the next datagram to that destination dials again.
 */
export class VlessUdpConn implements UdpConn {
  private readonly peers = new Map<string, Peer>();
  private handler: ((payload: Buffer, from: Destination) => void) | null = null;
  private closed = false;
  private clock = 0;

  constructor(private readonly open: Open, private readonly log: Logger, private readonly what: string) {}

  send(payload: Buffer, to: Destination): void {
    if (this.closed) return;
    let frame: Buffer;
    try {
      frame = encodeUdpFrame(payload);
    } catch (err) {
      return this.drop(to, (err as Error).message);
    }
    const key = `${to.port}/${to.host}`;
    let peer = this.peers.get(key);
    if (peer === undefined) peer = this.dial(key, to);
    peer.used = ++this.clock;
    if (peer.waiting !== null) {
      if (peer.waiting.length < MAX_WAITING) peer.waiting.push(frame);
      else this.drop(to, 'too many datagrams waiting for the VLESS connection');
      return;
    }
    const conn = peer.conn!;
    if (conn.writableLength > MAX_QUEUED) return this.drop(to, 'the VLESS connection is backed up');
    conn.write(frame);
  }

  onMessage(handler: (payload: Buffer, from: Destination) => void): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    for (const peer of this.peers.values()) peer.conn?.destroy();
    this.peers.clear();
  }

  private dial(key: string, to: Destination): Peer {
    if (this.peers.size >= MAX_PEERS) this.evict();
    const peer: Peer = { key, dest: { host: to.host, port: to.port }, conn: null, waiting: [], decoder: new UdpFrameDecoder(), used: 0 };
    this.peers.set(key, peer);
    this.open(peer.dest).then((conn) => this.opened(peer, conn), (err: Error) => {
      if (this.peers.get(key) === peer) this.peers.delete(key);
      if (!this.closed) this.drop(peer.dest, `${peer.waiting?.length ?? 0} datagram(s): ${err.message}`);
      peer.waiting = null;
    });
    return peer;
  }

  private opened(peer: Peer, conn: Socket | VlessStream): void {
    if (this.closed || this.peers.get(peer.key) !== peer) {
      conn.destroy();
      return;
    }
    peer.conn = conn;
    conn.on('data', (chunk: Buffer) => {
      const handler = this.handler;
      for (const payload of peer.decoder.push(chunk)) handler?.(payload, peer.dest);
    });
    conn.on('end', () => conn.end());
    conn.on('close', () => {
      if (this.peers.get(peer.key) === peer) this.peers.delete(peer.key);
    });
    for (const frame of peer.waiting!) conn.write(frame);
    peer.waiting = null;
    conn.resume();
  }

  private evict(): void {
    let oldest: Peer | null = null;
    for (const p of this.peers.values()) if (oldest === null || p.used < oldest.used) oldest = p;
    if (oldest === null) return;
    this.peers.delete(oldest.key);
    oldest.conn?.destroy();
    if (this.log.enabled('debug')) this.log.debug(`${this.what}: closed the VLESS UDP connection to ${formatHostPort(oldest.dest.host, oldest.dest.port)} (more than ${MAX_PEERS} destinations)`);
  }

  private drop(to: Destination, why: string): void {
    if (this.log.enabled('debug')) this.log.debug(`${this.what} udp → ${formatHostPort(to.host, to.port)} dropped: ${why}`);
  }
}
