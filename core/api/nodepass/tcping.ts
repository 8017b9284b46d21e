import net from 'node:net';
import type { TCPingResult } from './schemas';

/** Limits of `GET /tcping` (NodePass: 10 at once, 1 s wait for a slot, 5 s dial timeout). */
export interface TcpingOptions {
  /** @default 10 */
  concurrency?: number;
  /** How long a request waits for a free slot before answering "too many requests". @default 1000 */
  queueWaitMs?: number;
  /** @default 5000 */
  dialTimeoutMs?: number;
  /** The TCP connect (tests hold slots with a slow one); resolves with the error or null. @default a node:net connect */
  dial?: (host: string, port: number, timeoutMs: number) => Promise<NodeJS.ErrnoException | null>;
}

/** One TCP connect to `target` ("host:port", "[v6]:port"), timed in whole milliseconds. */
export type Tcping = (target: string) => Promise<TCPingResult>;

export function createTcping(opts: TcpingOptions = {}): Tcping {
  const limit = opts.concurrency ?? 10;
  const waitMs = opts.queueWaitMs ?? 1000;
  const timeoutMs = opts.dialTimeoutMs ?? 5000;
  const connect = opts.dial ?? dial;
  let active = 0;
  const waiters: Array<() => void> = [];

  const acquire = (): Promise<boolean> => {
    if (active < limit) {
      active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        active++;
        resolve(true);
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(wake), 1);
        resolve(false);
      }, waitMs);
      waiters.push(wake);
    });
  };
  const release = () => {
    active--;
    waiters.shift()?.();
  };

  return async (target) => {
    const result: TCPingResult = { target, connected: false, latency: 0, error: null };
    if (!(await acquire())) return { ...result, error: 'too many requests' };
    try {
      const hp = splitGoHostPort(target);
      if (typeof hp === 'string') return { ...result, error: `dial tcp: address ${target}: ${hp}` };
      const start = process.hrtime.bigint();
      const err = await connect(hp.host, hp.port, timeoutMs);
      if (err) return { ...result, error: goDialError(target, hp.host, err) };
      return { ...result, connected: true, latency: Number((process.hrtime.bigint() - start) / 1_000_000n) };
    } finally {
      release();
    }
  };
}

/** Go's net.SplitHostPort rules for a dial address; a string is the error. */
function splitGoHostPort(target: string): { host: string; port: number } | string {
  let host: string;
  let portText: string;
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    if (end < 0) return 'missing \']\' in address';
    if (target[end + 1] !== ':') return 'missing port in address';
    host = target.slice(1, end);
    portText = target.slice(end + 2);
  } else {
    const colon = target.lastIndexOf(':');
    if (colon < 0) return 'missing port in address';
    host = target.slice(0, colon);
    if (host.includes(':')) return 'too many colons in address';
    portText = target.slice(colon + 1);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return 'invalid port';
  return { host: host === '' ? 'localhost' : host, port };
}

function dial(host: string, port: number, timeoutMs: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => finish(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    function finish(err: NodeJS.ErrnoException | null) {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      resolve(err);
    }
    sock.once('connect', () => finish(null));
    sock.once('error', (err) => finish(err));
  });
}

/** The error text Go's net.DialTimeout would give, as NodePassDash shows it. */
function goDialError(target: string, host: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return `dial tcp ${target}: connect: connection refused`;
    case 'ETIMEDOUT': return `dial tcp ${target}: i/o timeout`;
    case 'EHOSTUNREACH': return `dial tcp ${target}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${target}: connect: network is unreachable`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `dial tcp: lookup ${host}: no such host`;
    default: return `dial tcp ${target}: ${err.message}`;
  }
}
