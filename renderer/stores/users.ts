import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Disposable, UserView } from '../../core/rpc';
import { toActionError, type ActionError } from '../lib/errors';
import { useEngineStore } from './engine';
import { createPoller } from '../lib/poller';

/** Poll period of listUsers while the Users page is open (live connections and traffic). */
export const USERS_POLL_MS = 2000;

export type UserAction = 'create' | 'enable' | 'disable' | 'rotate' | 'resetQuota' | 'delete';

/** The users of one selected VLESS relay, polled while a view holds `watch()`. */
export const useUsersStore = defineStore('users', () => {
  const engine = useEngineStore();
  /** The relay instance whose users are listed. */
  const instanceId = ref<string | null>(null);
  const list = shallowRef<UserView[]>([]);
  const loaded = ref(false);
  /** The last failed load or action (with the user it concerned). */
  const error = ref<(ActionError & { action: UserAction | 'list'; user: string }) | null>(null);
  const busy = ref<Record<string, UserAction>>({});

  async function refresh(): Promise<void> {
    const id = instanceId.value;
    if (!id) { list.value = []; loaded.value = false; return; }
    try {
      const users = await engine.core().listUsers({ instanceId: id });
      if (instanceId.value !== id) return;
      list.value = users;
      loaded.value = true;
      if (error.value?.action === 'list') error.value = null;
    } catch (err) {
      const e = toActionError(err);
      if (e.code !== 'E_RPC_CLOSED' && instanceId.value === id) error.value = { ...e, action: 'list', user: '' };
    }
  }

  const poller = createPoller(refresh, USERS_POLL_MS);
  const watch = (): Disposable => poller.watch();

  function select(id: string | null): void {
    if (instanceId.value === id) return;
    instanceId.value = id;
    list.value = [];
    loaded.value = false;
    error.value = null;
    void refresh();
  }

  function upsert(u: UserView): void {
    const i = list.value.findIndex((x) => x.name === u.name);
    list.value = i < 0 ? [...list.value, u] : list.value.map((x, j) => (j === i ? u : x));
  }

  async function run(user: string, action: UserAction, call: (instanceId: string) => Promise<UserView | null>): Promise<boolean> {
    const id = instanceId.value;
    if (!id || busy.value[user]) return false;
    busy.value[user] = action;
    error.value = null;
    try {
      const u = await call(id);
      if (u) upsert(u);
      else list.value = list.value.filter((x) => x.name !== user);
      return true;
    } catch (err) {
      error.value = { ...toActionError(err), action, user };
      return false;
    } finally {
      delete busy.value[user];
    }
  }

  const api = () => engine.core();
  return {
    instanceId, list, loaded, error, busy, watch, select, refresh,
    /** A new user; the engine generates the uuid. */
    create: (name: string) => run(name, 'create', (instanceId) => api().createUser({ instanceId, user: { name } })),
    setEnabled: (name: string, enabled: boolean) => run(name, enabled ? 'enable' : 'disable', (instanceId) => api().setUserEnabled({ instanceId, name, enabled })),
    rotate: (name: string) => run(name, 'rotate', (instanceId) => api().rotateUserUuid({ instanceId, name })),
    resetQuota: (name: string) => run(name, 'resetQuota', (instanceId) => api().resetUserQuota({ instanceId, name })),
    remove: (name: string) => run(name, 'delete', async (instanceId) => { await api().deleteUser({ instanceId, name }); return null; }),
    dismissError: () => { error.value = null; },
  };
});
