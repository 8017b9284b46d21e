import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Connection, Disposable } from '../../core/rpc';
import { toActionError, type ActionError } from '../lib/errors';
import { useEngineStore } from './engine';

/** Poll period of listConnections while someone watches. */
export const CONNECTIONS_POLL_MS = 1000;

/** Live connections, polled once a second only while a view holds `watch()`. */
export const useConnectionsStore = defineStore('connections', () => {
  const engine = useEngineStore();
  const list = shallowRef<Connection[]>([]);
  /** Engine-independent clock of the last successful poll (for durations). */
  const fetchedAt = ref(0);
  const error = ref<ActionError | null>(null);
  const closing = ref<Record<string, boolean>>({});
  let watchers = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;

  async function refresh(): Promise<void> {
    if (inFlight) return;
    inFlight = true;
    try {
      list.value = await engine.core().listConnections();
      fetchedAt.value = Date.now();
      error.value = null;
    } catch (err) {
      const e = toActionError(err);
      // While disconnected the banner says so; keep polling quietly until the session is back.
      error.value = e.code === 'E_RPC_CLOSED' ? null : e;
    } finally {
      inFlight = false;
    }
  }

  // A chain of timeouts, not an interval: a slow answer never stacks calls.
  async function tick(): Promise<void> {
    await refresh();
    if (watchers > 0) timer = setTimeout(() => void tick(), CONNECTIONS_POLL_MS);
  }

  /** Starts polling (reference-counted); the disposer stops it when the last watcher leaves. */
  function watch(): Disposable {
    watchers++;
    if (watchers === 1) void tick();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      watchers--;
      if (watchers === 0) clearTimeout(timer);
    };
  }

  engine.onSession(() => {
    if (watchers > 0) void refresh();
  });

  async function close(id: string): Promise<void> {
    closing.value[id] = true;
    try {
      await engine.core().closeConnection({ id });
      list.value = list.value.filter((c) => c.id !== id);
    } catch (err) {
      error.value = toActionError(err);
    } finally {
      delete closing.value[id];
    }
  }

  async function closeAll(): Promise<number> {
    try {
      const { closed } = await engine.core().closeAllConnections({});
      list.value = [];
      return closed;
    } catch (err) {
      error.value = toActionError(err);
      return 0;
    }
  }

  return { list, fetchedAt, error, closing, watch, refresh, close, closeAll };
});
