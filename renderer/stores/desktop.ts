import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import { CoreError, type DesktopApi, type DesktopPrefsPatch, type DesktopState } from '../../core/rpc';
import { openDesktopConnection, type DesktopConnection, type DesktopStatus } from '../core/desktop';
import { toActionError, type ActionError } from '../lib/errors';

/** What the panel can ask of the shell; busy flags and errors are kept per action. */
export type DesktopAction = 'load' | 'systemProxy' | 'autoStart' | 'prefs' | 'quit';

/**
 * The desktop shell's state (system proxy, auto-start, preferences), kept live by `desktop`
 * events. `available` is false in a plain browser. A failed action keeps its error (code +
 * message) until that same action succeeds or the error is dismissed; state pushes and new
 * sessions do not clear it.
 */
export const useDesktopStore = defineStore('desktop', () => {
  const status = ref<DesktopStatus>('unavailable');
  const detail = ref('');
  const state = shallowRef<DesktopState | null>(null);
  const busy = reactive<Record<DesktopAction, boolean>>({ load: false, systemProxy: false, autoStart: false, prefs: false, quit: false });
  const errors = reactive<Record<DesktopAction, ActionError | null>>({ load: null, systemProxy: null, autoStart: null, prefs: null, quit: null });
  /** The desktop app with a shell to talk to (now or after it hands over a new port). */
  const available = computed(() => status.value !== 'unavailable');
  const connected = computed(() => status.value === 'connected');
  let connection: DesktopConnection | null = null;

  /** Opens the connection (once). `open` is injectable for tests. */
  function start(open: () => DesktopConnection = openDesktopConnection): void {
    if (connection) return;
    const conn = (connection = open());
    status.value = conn.status;
    detail.value = conn.detail;
    conn.onStatus((s, why) => {
      status.value = s;
      detail.value = why;
    });
    conn.onSession((rpc) => {
      const off = rpc.on('desktop', (s) => { state.value = s; });
      busy.load = true;
      rpc.api.getDesktopState().then((s) => {
        state.value = s;
        errors.load = null;
      }, (err: unknown) => {
        if (!rpc.closed) errors.load = toActionError(err);
      }).finally(() => { busy.load = false; });
      return off;
    });
  }

  function shell(): DesktopApi {
    const api = connection?.session?.api;
    if (!api) throw new CoreError('E_RPC_CLOSED', 'not connected to the desktop shell');
    return api;
  }

  /** Runs one action: busy while under way, its error kept on failure; false on failure. */
  async function run(action: DesktopAction, call: (api: DesktopApi) => Promise<DesktopState | null>): Promise<boolean> {
    busy[action] = true;
    try {
      const next = await call(shell());
      if (next) state.value = next;
      errors[action] = null;
      return true;
    } catch (err) {
      errors[action] = toActionError(err);
      return false;
    } finally {
      busy[action] = false;
    }
  }

  /** Points the OS proxy at the local proxy, or restores the user's previous settings. */
  const setSystemProxy = (enabled: boolean): Promise<boolean> =>
    run('systemProxy', (api) => api.setSystemProxy({ enabled }));

  /** Adds or removes the login item. */
  const setAutoStart = (enabled: boolean): Promise<boolean> =>
    run('autoStart', (api) => api.setAutoStart({ enabled }));

  /** Merges preferences (omitted keys are kept). */
  const updatePrefs = (patch: DesktopPrefsPatch): Promise<boolean> =>
    run('prefs', (api) => api.updatePrefs(patch));

  /** Quits the app (the shell restores the system proxy first). */
  const quit = (): Promise<boolean> => run('quit', async (api) => { await api.quit(); return null; });

  function dismissError(action: DesktopAction): void {
    errors[action] = null;
  }

  function stop(): void {
    connection?.close();
    connection = null;
    status.value = 'unavailable';
  }

  return { status, detail, state, busy, errors, available, connected, start, stop, setSystemProxy, setAutoStart, updatePrefs, quit, dismissError };
});
