import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ImportResult, Latency, Profile } from '../../core/rpc';
import { toActionError, type ActionError } from '../lib/errors';
import { useEngineStore } from './engine';

/** What an import gave: the engine's ImportResult, or why the call failed. */
export type ImportOutcome = { result: ImportResult } | { error: ActionError };

/** Outbound profiles, kept live by the engine's 'profile' and 'profileRemoved' events. */
export const useProfilesStore = defineStore('profiles', () => {
  const engine = useEngineStore();
  const list = shallowRef<Profile[]>([]);
  const loaded = ref(false);
  /** Latency test under way per profile id. */
  const testing = ref<Record<string, boolean>>({});
  /** Last failed action per profile id. */
  const errors = ref<Record<string, ActionError>>({});

  function upsert(p: Profile): void {
    const i = list.value.findIndex((x) => x.id === p.id);
    list.value = i < 0 ? [...list.value, p] : list.value.map((x, j) => (j === i ? p : x));
  }

  function drop(id: string): void {
    list.value = list.value.filter((x) => x.id !== id);
    delete errors.value[id];
  }

  engine.onSession((rpc) => {
    const offs = [rpc.on('profile', upsert), rpc.on('profileRemoved', ({ id }) => drop(id))];
    rpc.api.listProfiles().then((all) => {
      list.value = all;
      loaded.value = true;
    }, () => undefined);
    return () => { for (const off of offs) off(); };
  });

  async function importOutcome(call: () => Promise<ImportResult>): Promise<ImportOutcome> {
    try {
      const result = await call();
      for (const p of result.created) upsert(p);
      return { result };
    } catch (err) {
      return { error: toActionError(err) };
    }
  }

  /** Imports share links (one per line) or a pasted subscription body. */
  const importLinks = (text: string): Promise<ImportOutcome> => importOutcome(() => engine.core().importProfiles({ text }));
  /** Fetches and imports a subscription URL. */
  const importSubscription = (url: string): Promise<ImportOutcome> => importOutcome(() => engine.core().importSubscription({ url }));

  /** Measures latency; the result is stored on the profile (and returned). */
  async function test(id: string): Promise<Latency | null> {
    if (testing.value[id]) return null;
    testing.value[id] = true;
    delete errors.value[id];
    try {
      const latency = await engine.core().testProfile({ id });
      const p = list.value.find((x) => x.id === id);
      if (p) upsert({ ...p, latency });
      return latency;
    } catch (err) {
      errors.value[id] = toActionError(err);
      return null;
    } finally {
      delete testing.value[id];
    }
  }

  async function remove(id: string): Promise<boolean> {
    delete errors.value[id];
    try {
      await engine.core().deleteProfile({ id });
      drop(id);
      return true;
    } catch (err) {
      errors.value[id] = toActionError(err);
      return false;
    }
  }

  return { list, loaded, testing, errors, importLinks, importSubscription, test, remove, dismissError: (id: string) => { delete errors.value[id]; } };
});
