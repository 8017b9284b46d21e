import type { Socket } from 'node:net';
import type { ConnMeta, Destination } from './conn';

/**
 * A datagram conversation through an outbound: one per UDP association / NAT entry.
 * The creator closes it.
 */
export interface UdpConn {
  /** Send one datagram to `to`. Never throws; failures are logged and counted as dropped. */
  send(payload: Buffer, to: Destination): void;
  /** Called for each datagram that comes back, with its sender. */
  onMessage(handler: (payload: Buffer, from: Destination) => void): void;
  close(): void;
}

/** Where routed traffic leaves: direct, block, and later vless, socks, ... */
export interface Outbound {
  readonly tag: string;
  readonly type: string;
  /**
   * Opens a TCP stream to `meta.destination`; resolves once connected. Rejects with a CoreError
   * whose code says why (E_DIAL_REFUSED, E_DIAL_UNREACHABLE, E_DIAL_NETWORK, E_DIAL_DNS,
   * E_DIAL_TIMEOUT, E_ROUTE_BLOCKED, ...), which inbounds map to their reply codes.
   * The returned socket is allowHalfOpen and not yet reading.
   */
  dialTcp(meta: ConnMeta, signal?: AbortSignal): Promise<Socket>;
  /** Opens a UDP conversation; rejects like dialTcp (E_ROUTE_BLOCKED for block). */
  openUdp(meta: ConnMeta): Promise<UdpConn>;
  /** Releases what the outbound holds itself (caches, pools); live connections are not touched. */
  close?(): void;
}
