import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ConfigFile, Settings, SettingsPatch } from '../../core/rpc';
import { toActionError, type ActionError } from '../lib/errors';
import { useEngineStore } from './engine';

/** Engine settings, kept live by the 'settings' event. */
export const useSettingsStore = defineStore('settings', () => {
  const engine = useEngineStore();
  const current = shallowRef<Settings | null>(null);
  const saving = ref(false);
  /** The last failed update. */
  const error = ref<ActionError | null>(null);

  engine.onSession((rpc) => {
    const off = rpc.on('settings', (s) => { current.value = s; });
    rpc.api.getSettings().then((s) => { current.value = s; }, () => undefined);
    return off;
  });

  /** Applies `patch` (top-level keys replace); false on failure, with `error` set. */
  async function update(patch: SettingsPatch): Promise<boolean> {
    saving.value = true;
    error.value = null;
    try {
      current.value = await engine.core().updateSettings(patch);
      return true;
    } catch (err) {
      error.value = toActionError(err);
      return false;
    } finally {
      saving.value = false;
    }
  }

  /** The engine's current state as a configuration file. */
  async function exportConfig(): Promise<ConfigFile | null> {
    error.value = null;
    try {
      return await engine.core().exportConfig();
    } catch (err) {
      error.value = toActionError(err);
      return null;
    }
  }

  return { current, saving, error, update, exportConfig };
});
