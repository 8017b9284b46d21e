import type { Channel } from './channel';
import { CoreError, toCoreError, type WireError } from './errors';
import { PROTOCOL_VERSION, isRpcMessage, type RpcMessage } from './protocol';

/** Something that can be undone: an event subscription, a listener. */
export type Disposable = () => void;

/** Validates and transforms a call's argument on the serving side (a zod schema fits). */
export interface InputParser { parse(value: unknown): unknown }

export interface RpcOptions {
  channel: Channel;
  /** Methods this side serves, by name. Each receives the parsed argument. */
  serve?: Record<string, (input: any) => unknown>;
  /** Argument schemas for served methods; a failed parse answers E_CONFIG_INVALID. */
  parsers?: Record<string, InputParser>;
  /** How long a call may wait for its answer (including the hello). @default 30000 */
  timeoutMs?: number;
  /** Protocol version announced in hello. @default PROTOCOL_VERSION */
  version?: number;
}

/** One end of an RPC connection. `R` is the remote's method map, `E` the events it pushes. */
export interface Rpc<R, E> {
  /** Proxy calling the remote's methods. */
  readonly api: R;
  /** Resolves once the peer's hello arrived with our protocol version; rejects otherwise. */
  readonly ready: Promise<void>;
  /** Listen to a remote event; subscribes with the peer on first use. */
  on<K extends keyof E & string>(event: K, handler: (data: E[K]) => void): Disposable;
  /** Push an event to the peer if it subscribed to it. */
  emit(event: string, data: unknown): void;
  /** Whether the peer subscribed to `event` (lets producers skip building payloads). */
  wants(event: string): boolean;
  /** Called once when the channel closes. */
  onClose(handler: (reason: string) => void): Disposable;
  close(): void;
  readonly closed: boolean;
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; timer: unknown; method: string }

/**
 * Creates one end of the RPC over a Channel. Both ends send `hello {v}` first; calls made
 * before the peer's hello are queued until it arrives. Calls time out after `timeoutMs`;
 * everything pending rejects with E_RPC_CLOSED when the channel closes.
 */
export function createRpc<R, E = Record<string, unknown>>(options: RpcOptions): Rpc<R, E> {
  const { channel, serve = {}, parsers = {}, timeoutMs = 30_000, version = PROTOCOL_VERSION } = options;
  const pending = new Map<number, Pending>();
  const handlers = new Map<string, Set<(data: any) => void>>();
  const closeHandlers = new Set<(reason: string) => void>();
  let peerWants = new Set<string>();
  let nextId = 1;
  let closed = false;
  let helloOk = false;
  let queued: RpcMessage[] = [];
  let settleReady!: (err?: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    settleReady = (err) => (err ? reject(err) : resolve());
  });
  ready.catch(() => undefined);

  const send = (m: RpcMessage): void => {
    if (closed) return;
    if (helloOk || m.t === 'hello' || m.t === 'res' || m.t === 'err') channel.post(m);
    else queued.push(m);
  };

  const shutdown = (reason: string): void => {
    if (closed) return;
    closed = true;
    const err = new CoreError('E_RPC_CLOSED', `channel closed: ${reason}`);
    settleReady(err);
    for (const [, p] of pending) { clearTimeout(p.timer); p.reject(err); }
    pending.clear();
    queued = [];
    for (const h of closeHandlers) h(reason);
    closeHandlers.clear();
  };

  const answer = async (m: Extract<RpcMessage, { t: 'req' }>): Promise<void> => {
    const fn = Object.prototype.hasOwnProperty.call(serve, m.m) ? serve[m.m] : undefined;
    if (!fn) {
      send({ t: 'err', id: m.id, e: { code: 'E_RPC_METHOD', message: `unknown method "${m.m}"` } });
      return;
    }
    try {
      const parser = parsers[m.m];
      let arg = m.a;
      if (parser) {
        try { arg = parser.parse(m.a); } catch (err) { throw invalidInput(m.m, err); }
      }
      const result = await fn(arg);
      send({ t: 'res', id: m.id, r: result });
    } catch (err) {
      send({ t: 'err', id: m.id, e: toCoreError(err).toWire() });
    }
  };

  const onMessage = (m: RpcMessage): void => {
    if (closed) return;
    if (!isRpcMessage(m)) return;
    switch (m.t) {
      case 'hello':
        if (m.v !== version) {
          const err = new CoreError('E_RPC_VERSION', `protocol version mismatch: ours ${version}, peer ${m.v}`);
          settleReady(err);
          channel.close();
          return;
        }
        helloOk = true;
        settleReady();
        for (const q of queued) channel.post(q);
        queued = [];
        return;
      case 'req': void answer(m); return;
      case 'res':
      case 'err': {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.t === 'res') p.resolve(m.r);
        else p.reject(CoreError.fromWire(m.e as WireError));
        return;
      }
      case 'sub': peerWants = new Set(m.n); return;
      case 'ev': {
        const set = handlers.get(m.n);
        if (set) for (const h of set) h(m.d);
        return;
      }
    }
  };

  const call = (methodName: string, arg: unknown): Promise<unknown> => {
    if (closed) return Promise.reject(new CoreError('E_RPC_CLOSED', `cannot call ${methodName}: channel closed`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new CoreError('E_RPC_TIMEOUT', `${methodName} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer, method: methodName });
      send(arg === undefined ? { t: 'req', id, m: methodName } : { t: 'req', id, m: methodName, a: arg });
    });
  };

  const api = new Proxy({}, {
    get(_target, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return (arg?: unknown) => call(prop, arg);
    },
  }) as R;

  const sendSubscriptions = (): void => send({ t: 'sub', n: [...handlers.keys()] });

  channel.listen(onMessage, shutdown);
  channel.post({ t: 'hello', v: version });

  return {
    api,
    ready,
    get closed() { return closed; },
    on(event, handler) {
      let set = handlers.get(event);
      if (!set) {
        set = new Set();
        handlers.set(event, set);
        sendSubscriptions();
      }
      set.add(handler);
      return () => {
        const s = handlers.get(event);
        if (!s?.delete(handler) || s.size > 0) return;
        handlers.delete(event);
        sendSubscriptions();
      };
    },
    emit(event, data) {
      if (peerWants.has(event)) send({ t: 'ev', n: event, d: data });
    },
    wants: (event) => peerWants.has(event),
    onClose(handler) {
      if (closed) { queueMicrotask(() => handler('closed')); return () => undefined; }
      closeHandlers.add(handler);
      return () => closeHandlers.delete(handler);
    },
    close() {
      channel.close();
      shutdown('closed locally');
    },
  };
}

function invalidInput(methodName: string, err: unknown): CoreError {
  const issues = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
  if (!issues) return new CoreError('E_CONFIG_INVALID', `${methodName}: ${(err as Error).message}`, { cause: err });
  const message = issues.map((i) => `${formatPath(i.path) || '(input)'}: ${i.message}`).join('; ');
  return new CoreError('E_CONFIG_INVALID', `${methodName}: ${message}`, { data: { issues: issues.map((i) => ({ path: formatPath(i.path), message: i.message })) } });
}

/** Formats a zod issue path the way people read it: `instances[2].listen`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}
