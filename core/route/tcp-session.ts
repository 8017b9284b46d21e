import type { Socket } from 'node:net';
import type { ConnMeta, RelayOptions, RouteDecision } from '../adapter';
import type { Logger } from '../log/logger';
import { IdleSweeper, type Sweepable } from './idle-sweeper';
import type { ListNode } from './linked-list';
import { spliceRelay, type SpliceHandle } from './splice';
import type { RelayTracked } from './tracked';

/** Socket errors that are just the peer going away: logged at debug, never above. */
const EXPECTED_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED']);

/**
 * Bytes (both ways together) relayed in JS before the sockets are handed to the native splice
 * relay. Handing over costs two dups, two pipes, epoll registrations and a cross-thread round trip
 * (~0.15 ms of CPU): more than JS spends relaying a few hundred KiB, and most connections (web
 * requests, API calls) never reach that much.
 */
export const NATIVE_AFTER_BYTES = 256 * 1024;
/** After a refused handover (a write still in flight, bytes read ahead), try again this much later. */
const NATIVE_RETRY_BYTES = 64 * 1024;

/** For sessions built without a sweeper of their own. */
const defaultSweeper = new IdleSweeper();

export interface TcpSessionHooks {
  log: Logger;
  /** Hand the sockets to the native splice relay once NATIVE_AFTER_BYTES moved. */
  native: boolean;
  /** Runs the idle timeout while the session relays in JS (the native side has its own). @default a process-wide one */
  sweeper?: IdleSweeper;
  /** Called once when the session has ended and both sockets are destroyed. */
  onClosed(session: TcpSession): void;
}

/**
 * One relayed TCP connection and its TrackedConn. Bytes are relayed in JS first and, when the
 * native relay is loaded and the connection turns out to carry real volume, by splice(2) in the
 * native thread. Bytes are sampled from the remote socket's own counters: up = remote.bytesWritten
 * since the relay took over (the head included: it is client data sent to the destination),
 * down = remote.bytesRead since then (bytes the outbound had already read but not consumed count
 * as down: they are destination data still to deliver); the native side counts after a handover.
 */
export class TcpSession implements RelayTracked {
  relayNode: ListNode<RelayTracked> | null = null;
  readonly rule: string;
  readonly outbound: string;
  readonly startedAt = Date.now();
  readonly idleTimeoutMs: number;
  private done = false;
  /** Every byte for the destination is flushed and its write side ended. */
  private upFinished = false;
  /** Same towards the client. */
  private downFinished = false;
  private readonly baseUp: number;
  private readonly baseDown: number;
  private readonly sweeper: IdleSweeper;
  private sweepNode: ListNode<Sweepable> | null = null;
  /** Bytes relayed in JS, and the total at which the next handover attempt is made. */
  private moved = 0;
  private nativeAt: number;
  /** Idle tracking on the JS path: `activity` moves with every chunk, the sweeper compares. */
  private activity = 0;
  private seenActivity = 0;
  private lastActive: number;
  private native: SpliceHandle | null = null;
  private nativeBase: [number, number] | null = null;
  private nativeEnded = false;
  private final: [number, number] | null = null;

  constructor(
    readonly meta: ConnMeta,
    decision: RouteDecision,
    private readonly client: Socket,
    private readonly remote: Socket,
    opts: RelayOptions,
    private readonly hooks: TcpSessionHooks,
  ) {
    this.rule = decision.rule;
    this.outbound = decision.outbound.tag;
    this.idleTimeoutMs = opts.idleTimeoutMs;
    this.lastActive = this.startedAt;
    this.nativeAt = hooks.native ? NATIVE_AFTER_BYTES : Infinity;
    this.sweeper = hooks.sweeper ?? defaultSweeper;
    this.baseUp = remote.bytesWritten ?? 0;
    this.baseDown = (remote.bytesRead ?? 0) - remote.readableLength;
  }

  /** Wires both sockets and starts moving bytes; `head` goes to the destination first. */
  start(head?: Buffer): void {
    const { client, remote } = this;
    client.on('error', (err) => this.onError('client', err));
    remote.on('error', (err) => this.onError('remote', err));
    client.on('close', () => this.onClose('client', client));
    remote.on('close', () => this.onClose('remote', remote));
    if (client.destroyed || remote.destroyed) {
      this.finish(client.destroyed ? 'client closed before relay' : 'remote closed before relay');
      return;
    }
    if (head !== undefined && head.length > 0) {
      remote.write(head);
      this.moved = head.length;
    }
    this.pipe();
  }

  sample(): [up: number, down: number] {
    if (this.final) return this.final;
    if (this.native) {
      const [up, down] = this.native.sample();
      const base = this.nativeBase!;
      return [base[0] + up, base[1] + down];
    }
    return [this.remote.bytesWritten - this.baseUp, this.remote.bytesRead - this.baseDown];
  }

  close(reason: string): void {
    this.finish(reason);
  }

  /** Whether the native splice relay moves the bytes now (false: JS does, or the session ended in JS). */
  get onNativeRelay(): boolean {
    return this.native !== null;
  }

  /** Called by the sweeper while the session relays in JS. */
  sweep(now: number): void {
    if (this.activity !== this.seenActivity) {
      this.seenActivity = this.activity;
      this.lastActive = now;
    } else if (now - this.lastActive >= this.idleTimeoutMs) {
      this.finish('idle timeout');
    }
  }

  private pipe(): void {
    const { client, remote } = this;
    client.setNoDelay(true);
    client.on('data', this.onClientData);
    remote.on('data', this.onRemoteData);
    client.on('end', () => remote.end());
    remote.on('end', () => client.end());
    remote.on('finish', () => {
      this.upFinished = true;
      if (this.downFinished) this.finish('done');
    });
    client.on('finish', () => {
      this.downFinished = true;
      if (this.upFinished) this.finish('done');
    });
    if (this.idleTimeoutMs > 0) this.sweepNode = this.sweeper.add(this);
    // The inbound may have consumed the client's end already (request + FIN in one read).
    if (client.readableEnded) remote.end();
    if (remote.readableEnded) client.end();
    client.resume();
    remote.resume();
  }

  private readonly onClientData = (chunk: Buffer): void => {
    this.activity++;
    if (!this.remote.write(chunk)) this.backpressure(this.client, this.remote);
    else if ((this.moved += chunk.length) >= this.nativeAt) this.handOver();
  };

  private readonly onRemoteData = (chunk: Buffer): void => {
    this.activity++;
    if (!this.client.write(chunk)) this.backpressure(this.remote, this.client);
    else if ((this.moved += chunk.length) >= this.nativeAt) this.handOver();
  };

  /** `to` buffers more than its high-water mark: stop reading `from` until it drained. */
  private backpressure(from: Socket, to: Socket): void {
    from.pause();
    to.once('drain', from === this.client ? this.resumeClient : this.resumeRemote);
  }

  private readonly resumeClient = (): void => {
    if (this.native === null) this.client.resume();
  };

  private readonly resumeRemote = (): void => {
    if (this.native === null) this.remote.resume();
  };

  /**
   * Moves the relay to the native thread when nothing is buffered on the JS side (both sockets
   * open, all writes flushed, nothing read ahead); otherwise, or when the sockets cannot be
   * handed over, JS keeps relaying and tries again after another NATIVE_RETRY_BYTES.
   */
  private handOver(): void {
    this.nativeAt = this.moved + NATIVE_RETRY_BYTES;
    const { client, remote } = this;
    const base = this.sample();
    const handle = spliceRelay(client, remote, { idleTimeoutMs: this.idleTimeoutMs }, (err) => {
      this.nativeEnded = true;
      this.finish(err ? `native relay: ${err.message}` : 'done');
    });
    if (handle === null) return;
    this.nativeBase = base;
    this.native = handle;
    this.stopSweeping();
    client.off('data', this.onClientData);
    remote.off('data', this.onRemoteData);
  }

  private stopSweeping(): void {
    if (this.sweepNode) this.sweeper.delete(this.sweepNode);
    this.sweepNode = null;
  }

  private onError(side: 'client' | 'remote', err: NodeJS.ErrnoException): void {
    if (this.done) return;
    const log = this.hooks.log;
    const code = err.code ?? '';
    if (EXPECTED_ERRORS.has(code)) {
      if (log.enabled('debug')) log.debug(`tcp ${this.meta.id} ${side} ${code}`);
    } else {
      log.info(`tcp ${this.meta.id} ${side} error: ${code || err.message}`);
    }
    this.finish(`${side} error ${code || err.message}`);
  }

  private onClose(side: 'client' | 'remote', socket: Socket): void {
    if (this.done) return;
    // A socket that closed after ending both ways (autoDestroy) is done; the other side's
    // pending writes still decide when the session ends.
    if (this.native === null && socket.readableEnded && socket.writableFinished) return;
    this.finish(`${side} closed`);
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.final = this.sample();
    if (this.native === null) this.stopSweeping();
    else if (!this.nativeEnded) this.native.close();
    this.client.destroy();
    this.remote.destroy();
    const log = this.hooks.log;
    if (log.enabled('debug')) log.debug(`tcp ${this.meta.id} closed (${reason}), up ${this.final[0]} down ${this.final[1]}`);
    this.hooks.onClosed(this);
  }
}
