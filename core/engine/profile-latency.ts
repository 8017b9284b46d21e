import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { ConnMeta, Destination, Outbound } from '../adapter';
import { formatHostPort } from '../common/net';
import { CoreError, toCoreError, type Latency, type ProfileSpec } from '../rpc';

/** What testProfile fetches when no URL is given (answers 204 with no body). */
export const DEFAULT_TEST_URL = 'http://www.gstatic.com/generate_204';

export interface LatencyOptions {
  /** The profile's outbound: the HTTP request goes through it. */
  outbound: Outbound;
  /** The plain outbound used for the TCP connect to the server ("direct"). */
  direct: Outbound;
  /** @default DEFAULT_TEST_URL */
  url?: string;
  /** Per step; a step that takes longer fails with E_DIAL_TIMEOUT. */
  timeoutMs: number;
  /** A connection id for the synthetic ConnMeta (unique per engine run). */
  connId: string;
}

/**
 * Measures a profile, both steps at once, never throwing for a dead or slow server:
 * - connectMs: plain TCP connect to the server's host:port (name lookup included), closed at once;
 * - httpMs: from dialing through the profile's outbound to the first byte of the answer to
 *   `GET url` (TLS over the dialed stream for https, certificate verified).
 * A failed step is null; `error` says why (the connect step's error first).
 */
export async function measureLatency(spec: ProfileSpec, opts: LatencyOptions): Promise<Latency> {
  const server: Destination = { host: spec.host, port: spec.port };
  const [connect, httpTime] = await Promise.all([
    timed(opts.timeoutMs, `TCP connect to ${formatHostPort(server.host, server.port)}`, async (signal) => {
      const socket = await opts.direct.dialTcp(meta(opts.connId, server), signal);
      socket.destroy();
    }),
    timed(opts.timeoutMs, `HTTP request through the profile`, (signal) => firstByte(opts, signal)),
  ]);
  const error = connect.error ?? httpTime.error;
  return {
    connectMs: connect.ms, httpMs: httpTime.ms,
    error: error ? { code: error.code, message: error.message } : null,
    testedAt: Date.now(),
  };
}

type Step = { ms: number; error: null } | { ms: null; error: CoreError };

/** Runs `fn` with a deadline; the elapsed time on success, the reason (prefixed with `what`) otherwise. */
async function timed(timeoutMs: number, what: string, fn: (signal: AbortSignal) => Promise<void>): Promise<Step> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new CoreError('E_DIAL_TIMEOUT', `no answer within ${timeoutMs} ms`);
      abort.abort(err);
      reject(err);
    }, timeoutMs);
  });
  const start = performance.now();
  try {
    await Promise.race([fn(abort.signal), deadline]);
    return { ms: Math.round((performance.now() - start) * 10) / 10, error: null };
  } catch (err) {
    const e = toCoreError(err);
    return { ms: null, error: new CoreError(e.code, `${what}: ${e.message}`, { cause: err }) };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** Dials the URL's host through the outbound, sends the GET and waits for the first byte. */
async function firstByte(opts: LatencyOptions, signal: AbortSignal): Promise<void> {
  const url = new URL(opts.url ?? DEFAULT_TEST_URL);
  const https = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : https ? 443 : 80;
  const raw = await opts.outbound.dialTcp(meta(opts.connId, { host, port }), signal);
  let socket: Socket = raw;
  if (signal.aborted) {
    raw.destroy();
    return;
  }
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (https) socket = await startTls(raw, host);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('data', (chunk: Buffer) => {
        if (chunk.subarray(0, 5).toString('latin1') === 'HTTP/') resolve();
        else reject(new CoreError('E_PROTO_BAD_HANDSHAKE', `the answer from ${url.host} is not HTTP`));
      });
      socket.once('error', (err) => reject(err instanceof CoreError ? err : new CoreError('E_DIAL_RESET', err.message, { cause: err })));
      socket.once('end', () => reject(new CoreError('E_DIAL_RESET', `${url.host} closed the connection without answering`)));
      socket.once('close', () => reject(new CoreError('E_DIAL_RESET', `the connection to ${url.host} closed without an answer`)));
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: RelayDesk\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
      socket.resume();
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
    raw.destroy();
  }
}

function startTls(raw: Socket, host: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ socket: raw, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (err) => {
      socket.destroy();
      reject(new CoreError('E_DIAL_FAILED', `TLS with ${host}: ${err.message}`, { cause: err }));
    });
  });
}

function meta(id: string, destination: Destination): ConnMeta {
  return {
    id, instanceId: 'profile-test', inbound: 'latency-test', network: 'tcp',
    source: { address: '127.0.0.1', port: 0 }, destination, user: null,
  };
}
