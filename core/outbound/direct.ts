import net, { type Socket } from 'node:net';
import type { ConnMeta, Outbound } from '../adapter';
import { formatHostPort } from '../common/net';
import type { Logger } from '../log/logger';
import type { CancellableDialer, PendingTcpDial } from '../route/cancellable-dial';
import { DeadlineQueue, type Deadlined } from '../route/deadline-queue';
import { CoreError, type ErrorCode } from '../rpc';
import { createDirectUdpConn } from './direct-udp';

/** The direct outbound's default connect timeout. */
export const DIRECT_CONNECT_TIMEOUT_MS = 10_000;

export interface DirectOutboundOptions {
  /** Give up connecting after this long (E_DIAL_TIMEOUT). @default DIRECT_CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number;
  /** Debug notes about late socket errors and dropped datagrams. */
  log?: Logger;
}

/** The direct outbound, with what the native SOCKS5 front needs to dial for it. */
export interface DirectOutbound extends Outbound, CancellableDialer {
  readonly type: 'direct';
  readonly connectTimeoutMs: number;
}

/** Whether `o` is a direct outbound made by createDirectOutbound. */
export function isDirectOutbound(o: Outbound): o is DirectOutbound {
  return o.type === 'direct' && typeof (o as Partial<DirectOutbound>).connectTimeoutMs === 'number';
}

/**
 * The "direct" outbound: plain TCP/UDP from this machine. dialTcp resolves with a connected
 * socket that is allowHalfOpen, noDelay and paused (call resume() to read); it already has an
 * 'error' listener so a reset before the caller wires it up cannot crash the process.
 */
export function createDirectOutbound(opts: DirectOutboundOptions = {}): DirectOutbound {
  const connectTimeoutMs = opts.connectTimeoutMs ?? DIRECT_CONNECT_TIMEOUT_MS;
  const timeouts = new DeadlineQueue(connectTimeoutMs);
  const log = opts.log;
  return {
    tag: 'direct',
    type: 'direct',
    connectTimeoutMs,
    dialTcp: (meta, signal) => new PendingDial(meta.destination.host, meta.destination.port, signal, timeouts, log).promise,
    dialTcpCancellable: (meta: ConnMeta): PendingTcpDial => new PendingDial(meta.destination.host, meta.destination.port, undefined, timeouts, log),
    openUdp: async (meta: ConnMeta) => createDirectUdpConn(meta, log),
  };
}

/** Maps a Node socket/DNS error to the E_DIAL_* code that says why a dial failed. */
export function dialErrorCode(err: unknown): ErrorCode {
  if (err instanceof CoreError) return err.code;
  let code = (err as NodeJS.ErrnoException | undefined)?.code;
  // autoSelectFamily fails with an AggregateError of every attempt.
  if (code === undefined && err instanceof AggregateError) code = (err.errors[0] as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'E_DIAL_REFUSED';
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return 'E_DIAL_UNREACHABLE';
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return 'E_DIAL_NETWORK';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return 'E_DIAL_DNS';
    case 'ETIMEDOUT':
    case 'ERR_SOCKET_CONNECTION_TIMEOUT':
      return 'E_DIAL_TIMEOUT';
    case 'ECONNRESET':
    case 'ECONNABORTED':
      return 'E_DIAL_RESET';
    default:
      return 'E_DIAL_FAILED';
  }
}

const WORDING: Partial<Record<ErrorCode, string>> = {
  E_DIAL_REFUSED: 'refused',
  E_DIAL_UNREACHABLE: 'host unreachable',
  E_DIAL_NETWORK: 'network unreachable',
  E_DIAL_DNS: 'name not resolved',
  E_DIAL_TIMEOUT: 'timed out',
  E_DIAL_RESET: 'reset by peer',
};

/** A CoreError for a failed dial whose message names the destination: "connect 127.0.0.1:1 refused". */
export function dialError(err: unknown, host: string, port: number): CoreError {
  if (err instanceof CoreError) return err;
  const code = dialErrorCode(err);
  const why = WORDING[code] ?? `failed: ${(err as Error)?.message ?? String(err)}`;
  return new CoreError(code, `connect ${formatHostPort(host, port)} ${why}`, { cause: err });
}

/**
 * One dial in progress: settles its promise once (connected, failed, timed out through the
 * outbound's DeadlineQueue, aborted or cancelled), with plain listeners removed again on settle.
 */
class PendingDial implements Deadlined, PendingTcpDial {
  deadline = 0;
  prevDue: Deadlined | null = null;
  nextDue: Deadlined | null = null;
  readonly promise: Promise<Socket>;
  private resolve!: (socket: Socket) => void;
  private reject!: (err: CoreError) => void;
  private socket: Socket | null = null;
  private settled = false;
  private readonly onConnect = () => this.connected();
  /** Stays for the socket's life: fails the dial, later only notes the error (the relay handles it). */
  private readonly onError = (err: NodeJS.ErrnoException) => {
    if (!this.settled) this.fail(dialError(err, this.host, this.port));
    else if (this.log?.enabled('debug')) this.log.debug(`direct ${formatHostPort(this.host, this.port)}: ${err.code ?? err.message}`);
  };
  private readonly onAbort = () => this.cancel(this.signal?.reason);

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly signal: AbortSignal | undefined,
    private readonly timeouts: DeadlineQueue,
    private readonly log: Logger | undefined,
  ) {
    this.promise = new Promise<Socket>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (signal?.aborted) {
      this.cancel(signal.reason);
      return;
    }
    const socket = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    this.socket = socket;
    timeouts.add(this);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    socket.on('connect', this.onConnect);
    socket.on('error', this.onError);
  }

  cancel(reason?: unknown): void {
    this.fail(new CoreError('E_DIAL_FAILED', `connect ${formatHostPort(this.host, this.port)} aborted`, { cause: reason }));
  }

  expire(): void {
    this.fail(new CoreError('E_DIAL_TIMEOUT', `connect ${formatHostPort(this.host, this.port)} timed out after ${this.timeouts.timeoutMs} ms`));
  }

  /** Stops the dial's own watching (none when the signal was aborted before the dial began). */
  private detach(): Socket | null {
    const { socket } = this;
    this.socket = null;
    if (socket === null) return null;
    this.timeouts.remove(this);
    this.signal?.removeEventListener('abort', this.onAbort);
    socket.off('connect', this.onConnect);
    return socket;
  }

  private fail(err: CoreError): void {
    if (this.settled) return;
    this.settled = true;
    this.detach()?.destroy();
    this.reject(err);
  }

  private connected(): void {
    if (this.settled) return;
    this.settled = true;
    const socket = this.detach()!;
    socket.pause();
    this.resolve(socket);
  }
}
