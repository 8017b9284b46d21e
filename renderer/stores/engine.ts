import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { CoreError, type CoreApi, type Disposable, type EngineInfo } from '../../core/rpc';
import { openCoreConnection, type ConnectionStatus, type CoreConnection, type SessionHandler } from '../core/connect';

/** The connection to the engine and what it says about itself. Other stores reach the RPC through it. */
export const useEngineStore = defineStore('engine', () => {
  const status = ref<ConnectionStatus>('connecting');
  const detail = ref('');
  const info = shallowRef<EngineInfo | null>(null);
  /** Whether a session was ever established (distinguishes "connecting" from "reconnecting" in the UI). */
  const everConnected = ref(false);
  let connection: CoreConnection | null = null;
  let api: CoreApi | null = null;
  const pending = new Set<SessionHandler>();

  /** Opens the connection (once). `connect` is injectable for tests. */
  function start(connect: () => CoreConnection = openCoreConnection): void {
    if (connection) return;
    const conn = (connection = connect());
    conn.onStatus((s, why) => {
      status.value = s;
      detail.value = why;
    });
    status.value = conn.status;
    conn.onSession((rpc) => {
      api = rpc.api;
      everConnected.value = true;
      rpc.api.getInfo().then((i) => { info.value = i; }, () => undefined);
      return () => { api = null; };
    });
    for (const h of pending) conn.onSession(h);
    pending.clear();
  }

  /** Runs `handler` on every session (now if connected); see `CoreConnection.onSession`. */
  function onSession(handler: SessionHandler): Disposable {
    if (connection) return connection.onSession(handler);
    pending.add(handler);
    return () => { pending.delete(handler); };
  }

  /** The live API; throws E_RPC_CLOSED while disconnected. */
  function core(): CoreApi {
    if (!api) throw new CoreError('E_RPC_CLOSED', 'not connected to the engine');
    return api;
  }

  function stop(): void {
    connection?.close();
    connection = null;
    api = null;
  }

  return { status, detail, info, everConnected, start, stop, onSession, core };
});
