import type { Socket } from 'node:net';
import type { Destination } from '../../adapter';
import { addressFromHost, encodeRequest } from '../../codec/vless';
import { formatHostPort } from '../../common/net';
import type { Logger } from '../../log/logger';
import type { DeadlineQueue, Deadlined } from '../../route/deadline-queue';
import { CoreError, toCoreError, type VlessProfileSpec } from '../../rpc';
import { dialTcp } from '../../transport/tcp';
import { dialTls, type TlsClientOptions } from '../../transport/tls';
import { dialWs } from '../../transport/ws';
import { dialError } from '../direct';
import { VlessStream } from './stream';
import { VlessTcpSocket } from './tcp-socket';

/** What every connection of one VLESS outbound shares. */
export interface VlessDialer {
  tag: string;
  spec: VlessProfileSpec;
  /** The 16 UUID bytes. */
  uuid: Buffer;
  tls: TlsClientOptions | null;
  /** Dial deadlines (connectTimeoutMs): one timer for every dial of the outbound. */
  timeouts: DeadlineQueue;
  log: Logger;
}

/** One dial's deadline: aborts the transport dial when it passes. */
class DialDeadline implements Deadlined {
  deadline = 0;
  prevDue: Deadlined | null = null;
  nextDue: Deadlined | null = null;
  readonly abort = new AbortController();

  constructor(private readonly server: string, private readonly timeoutMs: number) {}

  expire(): void {
    this.abort.abort(new CoreError('E_DIAL_TIMEOUT', `connecting to the VLESS server ${this.server} timed out after ${this.timeoutMs} ms`));
  }
}

/**
 * Opens one VLESS connection to the server for `command` to `dest`: transport (TCP, TLS, WS over
 * either), then the request header, without waiting for the response header (v2ray/Xray only send
 * it with the destination's first bytes, which may need the client's request first). Resolves with
 * a VlessTcpSocket (plain TCP) or a VlessStream, paused, with an 'error' listener that logs.
 * Rejects with a CoreError whose message names the outbound, the destination and the server.
 */
export async function dialVless(d: VlessDialer, command: 'tcp' | 'udp', dest: Destination, signal?: AbortSignal): Promise<Socket | VlessStream> {
  const what = `vless ${d.tag} → ${formatHostPort(dest.host, dest.port)}`;
  const { spec } = d;
  let header: Buffer;
  try {
    header = encodeRequest({ uuid: d.uuid, command, port: dest.port, address: addressFromHost(dest.host) });
  } catch (err) {
    throw context(what, err, spec);
  }
  const server = formatHostPort(spec.host, spec.port);
  const deadline = new DialDeadline(server, d.timeouts.timeoutMs);
  const { abort } = deadline;
  const onAbort = () => abort.abort(new CoreError('E_DIAL_FAILED', `connecting to the VLESS server ${server} aborted`, { cause: signal?.reason }));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  d.timeouts.add(deadline);
  try {
    const conn = await connect(d, what, abort.signal);
    conn.on('error', (err: Error) => logLateError(d.log, what, err));
    conn.sendRequest(header);
    return conn as Socket | VlessStream;
  } catch (err) {
    throw context(what, err, spec);
  } finally {
    d.timeouts.remove(deadline);
    signal?.removeEventListener('abort', onAbort);
  }
}

async function connect(d: VlessDialer, what: string, signal: AbortSignal): Promise<VlessTcpSocket | VlessStream> {
  const { host, port, transport } = d.spec;
  if (transport.type === 'ws') {
    const hostHeader = transport.host ?? d.tls?.sni;
    const conn = await dialWs({ host, port, path: transport.path, hostHeader, tls: d.tls, signal });
    return new VlessStream(conn, conn.socket, what);
  }
  if (d.tls) {
    const socket = await dialTls({ ...d.tls, host, port, signal });
    return new VlessStream(socket, socket, what);
  }
  return (await dialTcp({ host, port, signal, socket: new VlessTcpSocket(what) })) as VlessTcpSocket;
}

/** A dial failure as a CoreError whose message starts with "vless <tag> → <destination>: ". */
function context(what: string, err: unknown, spec: VlessProfileSpec): CoreError {
  const e = err instanceof CoreError ? err : (err as NodeJS.ErrnoException)?.code ? dialError(err, spec.host, spec.port) : toCoreError(err);
  return new CoreError(e.code, `${what}: ${e.message}`, { cause: e.cause ?? err });
}

function logLateError(log: Logger, what: string, err: Error): void {
  // The server refusing the request (wrong UUID, ...) is news; resets of a live relay are not.
  if (err instanceof CoreError) log.info(err.message);
  else if (log.enabled('debug')) log.debug(`${what}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
}
