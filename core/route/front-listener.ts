import net, { type Socket } from 'node:net';
import { FRONT_BAD, FRONT_CLOSED, FRONT_HANDOFF, FRONT_REQUEST, type FrontAddon } from './splice';

/** A request as the native front delivers it (VLESS adds the UUID and the payload after the header). */
export interface FrontRequest {
  conn: object;
  host: string;
  port: number;
  peerAddress: string;
  peerPort: number;
  uuid?: Buffer;
  payload?: Buffer;
}

/** A socket for a descriptor the native side gave up (accepted TCP, half-close allowed). */
export function socketFromFd(fd: number): Socket {
  return new net.Socket({ fd, allowHalfOpen: true, readable: true, writable: true });
}

/**
 * One listening native front: binds, turns the addon's events into calls of the inbound's
 * handlers, and on close() stops listening and ends every connection in `conns` (where the inbound
 * keeps what it holds: requests being routed, relays running).
 */
export abstract class FrontListener {
  protected readonly conns = new Set<object>();
  private front: object | null = null;
  private bound = 0;
  private closed: Promise<void> | null = null;
  private onClosed: (() => void) | null = null;

  constructor(protected readonly addon: FrontAddon, private readonly proto: number, private readonly handshakeMs: number) {}

  /** A request to route. */
  protected abstract onRequest(r: FrontRequest): void;
  /**
   * A client for the JS inbound, with the bytes read (`stage`: FRONT_STAGE_*). Behind TLS or a
   * WebSocket (FRONT_STAGE_BRIDGED) the socket is a socketpair carrying the plain bytes: `peer` is
   * the client's address.
   */
  protected abstract onHandoff(socket: Socket, first: Buffer, stage: number, peer: { address: string; port: number }): void;
  /** A handshake that ended badly (`kind` null: nothing was read, nothing to count). */
  protected abstract onBad(kind: string | null, reason: string, peerAddress: string, peerPort: number): void;

  /**
   * Binds `ip:port` (an IP literal), with TLS first when given a server context, or a WebSocket
   * upgrade to `wsPath`; throws the errno error of bind/listen (code EADDRINUSE, ...).
   */
  listen(ip: string, port: number, tls?: object, wsPath?: string): number {
    const [front, bound] = this.addon.frontListen(ip, port, 511, this.handshakeMs, this.proto, (type, ...a) => this.onEvent(type, a), tls, wsPath);
    this.front = front;
    this.bound = bound;
    return bound;
  }

  get port(): number {
    return this.bound;
  }

  /** close() was called: late callbacks drop what they get. */
  protected get closing(): boolean {
    return this.closed !== null;
  }

  /** Stops listening and ends every connection the inbound still holds through the front. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.front === null) return resolve();
      this.onClosed = resolve;
      this.addon.frontClose(this.front);
      for (const conn of this.conns) this.addon.close(conn);
    });
    return this.closed;
  }

  private onEvent(type: number, a: unknown[]): void {
    if (type === FRONT_REQUEST) {
      this.onRequest({
        conn: a[0] as object, host: a[2] as string, port: a[3] as number, peerAddress: a[4] as string, peerPort: a[5] as number,
        uuid: a[6] as Buffer | undefined, payload: a[7] as Buffer | undefined,
      });
    } else if (type === FRONT_HANDOFF) {
      const socket = socketFromFd(a[0] as number);
      if (this.closing) socket.destroy();
      else this.onHandoff(socket, a[2] as Buffer, a[1] as number, { address: a[3] as string, port: a[4] as number });
    } else if (type === FRONT_BAD) {
      this.onBad(a[0] as string | null, a[1] as string, a[2] as string, a[3] as number);
    } else if (type === FRONT_CLOSED) {
      this.onClosed?.();
    }
  }
}
