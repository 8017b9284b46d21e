import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { CreateInstanceInput, Instance, UpdateInstanceInput } from '../../core/rpc';
import { toActionError, type ActionError } from '../lib/errors';
import { useEngineStore } from './engine';

export type InstanceAction = 'start' | 'stop' | 'restart' | 'delete' | 'resetTraffic';

/** A failed action on an instance: which one, and the engine's code and message. */
export interface InstanceActionError extends ActionError {
  action: InstanceAction;
}

/** Instances, kept live by the engine's 'instance' and 'instanceRemoved' events. */
export const useInstancesStore = defineStore('instances', () => {
  const engine = useEngineStore();
  const list = shallowRef<Instance[]>([]);
  const loaded = ref(false);
  /** Action under way per instance id. */
  const busy = ref<Record<string, InstanceAction>>({});
  /** Last failed action per instance id. */
  const errors = ref<Record<string, InstanceActionError>>({});

  function upsert(inst: Instance): void {
    const i = list.value.findIndex((x) => x.id === inst.id);
    list.value = i < 0 ? [...list.value, inst] : list.value.map((x, j) => (j === i ? inst : x));
  }

  function remove(id: string): void {
    list.value = list.value.filter((x) => x.id !== id);
    delete busy.value[id];
    delete errors.value[id];
  }

  engine.onSession((rpc) => {
    const offs = [rpc.on('instance', upsert), rpc.on('instanceRemoved', ({ id }) => remove(id))];
    rpc.api.listInstances().then((all) => {
      list.value = all;
      loaded.value = true;
    }, () => undefined);
    return () => { for (const off of offs) off(); };
  });

  async function run(id: string, action: InstanceAction): Promise<boolean> {
    if (busy.value[id]) return false;
    busy.value[id] = action;
    delete errors.value[id];
    try {
      const api = engine.core();
      if (action === 'delete') {
        await api.deleteInstance({ id });
        remove(id);
      } else if (action === 'resetTraffic') {
        upsert(await api.resetInstanceTraffic({ id }));
      } else {
        const method = action === 'start' ? api.startInstance : action === 'stop' ? api.stopInstance : api.restartInstance;
        upsert(await method({ id }));
      }
      return true;
    } catch (err) {
      errors.value[id] = { ...toActionError(err), action };
      return false;
    } finally {
      delete busy.value[id];
    }
  }

  /** Runs a create or update and puts the result in the list; the engine's error is returned, not thrown, for the form. */
  async function saved(call: () => Promise<Instance>): Promise<{ instance: Instance } | { error: ActionError }> {
    try {
      const instance = await call();
      upsert(instance);
      return { instance };
    } catch (err) {
      return { error: toActionError(err) };
    }
  }

  /** Creates (and starts) an instance. */
  const create = (input: CreateInstanceInput) => saved(() => engine.core().createInstance(input));

  /** Applies an edit (a new spec restarts a running instance). */
  const update = (input: UpdateInstanceInput) => saved(() => engine.core().updateInstance(input));

  return {
    list, loaded, busy, errors, create, update,
    resetTraffic: (id: string) => run(id, 'resetTraffic'),
    start: (id: string) => run(id, 'start'),
    stop: (id: string) => run(id, 'stop'),
    restart: (id: string) => run(id, 'restart'),
    remove: (id: string) => run(id, 'delete'),
    dismissError: (id: string) => { delete errors.value[id]; },
  };
});
