import type { Socket } from 'node:net';
import type { ConnMeta, RelayOptions, RouteDecision, TrackedConn } from '../adapter';
import type { Logger } from '../log/logger';
import { spliceRelay } from './splice';

/** Socket errors that are just the peer going away: logged at debug, never above. */
const EXPECTED_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED']);

export interface TcpSessionHooks {
  log: Logger;
  /** Try the native splice relay first. */
  native: boolean;
  /** Called once when the session has ended and both sockets are destroyed. */
  onClosed(session: TcpSession): void;
}

/**
 * One relayed TCP connection and its TrackedConn. Bytes are sampled from the remote socket's own
 * counters: up = remote.bytesWritten since the relay took over (the head included: it is client
 * data sent to the destination), down = remote.bytesRead since then (bytes the outbound had already
 * read but not consumed count as down: they are destination data still to deliver).
 */
export class TcpSession implements TrackedConn {
  readonly rule: string;
  readonly outbound: string;
  readonly startedAt = Date.now();
  private done = false;
  /** Every byte for the destination is flushed and its write side ended. */
  private upFinished = false;
  /** Same towards the client. */
  private downFinished = false;
  private readonly baseUp: number;
  private readonly baseDown: number;
  private native: { sample(): [number, number]; close(): void } | null = null;
  private nativeBase: [number, number] = [0, 0];
  private nativeEnded = false;
  private final: [number, number] | null = null;

  constructor(
    readonly meta: ConnMeta,
    decision: RouteDecision,
    private readonly client: Socket,
    private readonly remote: Socket,
    private readonly opts: RelayOptions,
    private readonly hooks: TcpSessionHooks,
  ) {
    this.rule = decision.rule;
    this.outbound = decision.outbound.tag;
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
      // The native relay takes the file descriptors over: the head must be on the wire first.
      if (this.hooks.native) remote.write(head, (err) => { if (!err) this.flow(); });
      else {
        remote.write(head);
        this.flow();
      }
    } else {
      this.flow();
    }
  }

  sample(): [up: number, down: number] {
    if (this.final) return this.final;
    if (this.native) {
      const [up, down] = this.native.sample();
      return [this.nativeBase[0] + up, this.nativeBase[1] + down];
    }
    return [this.remote.bytesWritten - this.baseUp, this.remote.bytesRead - this.baseDown];
  }

  close(reason: string): void {
    this.finish(reason);
  }

  private flow(): void {
    if (this.done) return;
    if (this.hooks.native) {
      this.nativeBase = this.sample();
      const handle = spliceRelay(this.client, this.remote, { idleTimeoutMs: this.opts.idleTimeoutMs }, (err) => {
        this.nativeEnded = true;
        this.finish(err ? `native relay: ${err.message}` : 'done');
      });
      if (handle) {
        if (this.done) handle.close();
        else this.native = handle;
        return;
      }
    }
    this.pipeJs();
  }

  private pipeJs(): void {
    const { client, remote } = this;
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => {
      if (!remote.write(chunk)) client.pause();
    });
    remote.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) remote.pause();
    });
    remote.on('drain', () => client.resume());
    client.on('drain', () => remote.resume());
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
    const onTimeout = () => this.finish('idle timeout');
    client.setTimeout(this.opts.idleTimeoutMs, onTimeout);
    remote.setTimeout(this.opts.idleTimeoutMs, onTimeout);
    // The inbound may have consumed the client's end already (request + FIN in one read).
    if (client.readableEnded) remote.end();
    if (remote.readableEnded) client.end();
    client.resume();
    remote.resume();
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
    if (!this.nativeEnded) this.native?.close();
    this.client.destroy();
    this.remote.destroy();
    const log = this.hooks.log;
    if (log.enabled('debug')) log.debug(`tcp ${this.meta.id} closed (${reason}), up ${this.final[0]} down ${this.final[1]}`);
    this.hooks.onClosed(this);
  }
}
