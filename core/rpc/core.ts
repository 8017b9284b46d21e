import { coreMethods, type CoreApi, type CoreApiImpl, type CoreEventName, type CoreEvents } from './api';
import type { Channel } from './channel';
import { createRpc, type Disposable, type Rpc } from './rpc';

/** A source of typed events, e.g. the engine's event bus. */
export interface EventSource<E> {
  on<K extends keyof E & string>(event: K, handler: (data: E[K]) => void): Disposable;
}

const EVENT_NAMES: CoreEventName[] = ['stats', 'instance', 'instanceRemoved', 'log', 'settings', 'profile', 'profileRemoved'];

/** The client side: a typed CoreApi proxy plus CoreEvents subscriptions. */
export function connectCore(channel: Channel, options: { timeoutMs?: number } = {}): Rpc<CoreApi, CoreEvents> {
  return createRpc<CoreApi, CoreEvents>({ channel, timeoutMs: options.timeoutMs });
}

/**
 * The serving side: answers CoreApi calls with `impl` (arguments parsed by the zod schemas of
 * `coreMethods`) and forwards the events the peer subscribed to. Closing the channel detaches.
 */
export function serveCore(channel: Channel, impl: CoreApiImpl, events: EventSource<CoreEvents>): Rpc<unknown, unknown> {
  const serve: Record<string, (input: any) => unknown> = {};
  const parsers: Record<string, { parse(v: unknown): unknown }> = {};
  for (const name of Object.keys(coreMethods) as Array<keyof typeof coreMethods>) {
    serve[name] = (input) => (impl[name] as (i: unknown) => unknown).call(impl, input);
    parsers[name] = coreMethods[name].input;
  }
  const rpc = createRpc<unknown, unknown>({ channel, serve, parsers });
  const detach = EVENT_NAMES.map((name) => events.on(name, (data) => rpc.emit(name, data)));
  rpc.onClose(() => { for (const d of detach) d(); });
  return rpc;
}
