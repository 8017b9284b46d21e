import type { Socket } from 'node:net';
import type { ConnMeta, InstanceContext } from '../../adapter';
import { unmapIPv4 } from '../../codec/address';
import type { MixedSpec } from '../../rpc';
import type { DeadlineQueue, Deadlined } from '../../route/deadline-queue';
import type { LinkedList, ListNode } from '../../route/linked-list';
import type { UserTable } from './users';

/** How long a rejected client may take to read our last words before it is destroyed. */
const LINGER_MS = 2000;

/** What the protocol handlers of one mixed inbound share. */
export interface MixedEnv {
  readonly spec: MixedSpec;
  readonly ctx: InstanceContext;
  readonly users: UserTable;
  /** Closers of live UDP associations; the inbound runs them all on close(). */
  readonly udpAssociations: Set<() => void>;
  /** Handshake deadlines (spec.handshakeTimeoutMs after accept); the inbound clears it on close(). */
  readonly deadlines: DeadlineQueue;
  /** Every accepted socket until it closes (in handshake, relayed or served by node:http), for close(). */
  readonly sockets: LinkedList<Socket>;
}

/** Kinds reported to StatsSink.badHandshake. */
export type BadHandshakeKind =
  | 'unknown-protocol' | 'timeout' | 'auth' | 'socks5-greeting' | 'socks5-auth' | 'socks5-request' | 'http-request';

/**
 * One accepted client until its handshake is complete: owns the handshake deadline (fixed at
 * accept: trickling bytes do not extend it) and turns a premature close, a timeout or bad input
 * into exactly one badHandshake report and a close.
 */
export class Handshake implements Deadlined {
  /** What the client is in the middle of; a close now is reported under this kind. */
  phase: BadHandshakeKind | null = null;
  deadline = 0;
  prevDue: Deadlined | null = null;
  nextDue: Deadlined | null = null;
  /** The client's address, IPv4-mapped IPv6 unmapped. Read-only: source() gives a copy. */
  readonly peer: ConnMeta['source'];
  private settled = false;
  private readonly tracked: ListNode<Socket>;
  private readonly onEnd = () => this.reject(this.phase, 'client closed during the handshake');
  /** Stays for the socket's life: it also takes the socket off the inbound's list. */
  private readonly onClose = () => {
    this.env.sockets.remove(this.tracked);
    this.onEnd();
  };

  /** Takes `socket` (accepted, `remoteAddress` already read) into `env.sockets` and starts its deadline. */
  constructor(readonly socket: Socket, readonly env: MixedEnv, remoteAddress: string) {
    this.peer = { address: unmapIPv4(remoteAddress), port: socket.remotePort ?? 0 };
    this.tracked = env.sockets.add(socket);
    env.deadlines.add(this);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
  }

  get done(): boolean {
    return this.settled;
  }

  /** The client's address, IPv4-mapped IPv6 unmapped. */
  source(): ConnMeta['source'] {
    return { ...this.peer };
  }

  /** The handshake succeeded: the deadline no longer applies and closes are not counted. */
  complete(): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
  }

  /** The deadline passed (called by the inbound's DeadlineQueue). */
  expire(): void {
    this.reject('timeout', `no complete handshake within ${this.env.spec.handshakeTimeoutMs} ms`);
  }

  /**
   * Rejects the client: reports `kind` (null: nothing was received, so nothing is counted), logs
   * at debug, sends `reply` if any and closes. Idempotent.
   */
  reject(kind: BadHandshakeKind | null, reason: string, reply?: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    const { ctx } = this.env;
    if (kind !== null) ctx.stats.badHandshake(ctx.instanceId, kind);
    if (ctx.log.enabled('debug')) {
      const s = this.peer;
      ctx.log.debug(`handshake from ${s.address}:${s.port} rejected (${kind ?? 'not counted'}): ${reason}`);
    }
    if (reply === undefined) this.socket.destroy();
    else closeWithReply(this.socket, reply);
  }

  private detach(): void {
    this.env.deadlines.remove(this);
    this.socket.off('end', this.onEnd);
  }
}

/**
 * Sends `reply`, ends our side and discards whatever the client still sends until it closes
 * (destroying at once could reset the connection before the reply is read); destroyed after
 * LINGER_MS regardless.
 */
export function closeWithReply(socket: Socket, reply: Buffer): void {
  if (socket.destroyed) return;
  socket.removeAllListeners('data');
  socket.on('data', discard);
  socket.on('end', () => socket.destroy());
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.end(reply);
  socket.resume();
}

function discard(): void {
  // Bytes after a rejection are read only to let the reply through.
}

/** Runs an async step for `socket`: an unexpected failure is logged and the client destroyed, never left unhandled. */
export function runGuarded(env: MixedEnv, socket: Socket, task: Promise<void>): void {
  task.catch((err: unknown) => {
    env.ctx.log.error(`unexpected failure serving ${socket.remoteAddress}:${socket.remotePort}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    socket.destroy();
  });
}
