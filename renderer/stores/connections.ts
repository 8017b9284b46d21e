import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Connection, Disposable } from '../../core/rpc';
import { toActionError, type ActionError } from '../lib/errors';
import { useEngineStore } from './engine';
import { createPoller } from '../lib/poller';

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

  const poller = createPoller(refresh, CONNECTIONS_POLL_MS);
  const watch = (): Disposable => poller.watch();

  engine.onSession(() => {
    if (poller.active) void refresh();
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
