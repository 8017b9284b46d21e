import type { Socket } from 'node:net';
import type { ConnMeta, Destination } from './conn';
import type { RouteDecision } from './router';

/** A connection relayed outside JS, as Relay.adopt sees it. */
export interface AdoptedConn {
  sample(): [up: number, down: number];
  close(reason: string): void;
}

export interface RelayOptions {
  /** Close when no byte moved either way for this long. */
  idleTimeoutMs: number;
}

/** A client's UDP association (SOCKS5 UDP ASSOCIATE, ...) as the inbound sees it. */
export interface UdpAssociation {
  /** Route and send one datagram from the client to `to`. Never throws. */
  send(payload: Buffer, to: Destination): void;
  /** Drops every NAT entry of this association. Idempotent. */
  close(): void;
}

/**
 * The data path shared by every inbound (implemented in route/): moves bytes between an accepted
 * client and a dialed outbound with half-close, idle timeout and backpressure, and is the only
 * code that reports bytes to stats. Native splice when available, lean JS otherwise.
 */
export interface Relay {
  /**
   * Takes ownership of both sockets and relays until both directions end, an error, the idle
   * timeout or close(). `head`: bytes already read from the client that belong to the destination.
   */
  tcp(meta: ConnMeta, decision: RouteDecision, client: Socket, remote: Socket, opts: RelayOptions, head?: Buffer): void;
  /**
   * Opens a UDP association: each datagram is routed by its destination through a NAT table
   * (one outbound UDP conversation per routed outbound, expired after `idleTimeoutMs` without
   * traffic); replies come back through `onReply`.
   */
  /**
   * Tracks an upstream socket that the inbound drives itself (plain HTTP proxying through
   * node:http): bytes are sampled from `remote.bytesWritten`/`bytesRead`; tracking ends when the
   * socket closes, and closeConnection destroys it.
   */
  track(meta: ConnMeta, decision: RouteDecision, remote: Socket): void;
  /**
   * Tracks a connection relayed outside the JS data path (the native SOCKS5 front): bytes come
   * from `conn.sample()`, closeConnection calls `conn.close()`. The owner calls the returned
   * function once, when the connection has ended, with its final byte counts.
   */
  adopt(meta: ConnMeta, decision: RouteDecision, conn: AdoptedConn): (final: [up: number, down: number]) => void;
  udp(meta: ConnMeta, onReply: (payload: Buffer, from: Destination) => void, opts: RelayOptions): UdpAssociation;
}
