import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { LogEntry, LogLevel } from '../../core/rpc';
import { useEngineStore } from './engine';

/** How many entries the dashboard keeps. */
export const LOG_LIMIT = 1000;
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Recent log entries: the engine's ring on connect, then the live 'log' stream. */
export const useLogsStore = defineStore('logs', () => {
  const engine = useEngineStore();
  const entries = shallowRef<LogEntry[]>([]);
  /** Minimum level shown. */
  const level = ref<LogLevel>('info');

  function append(batch: LogEntry[]): void {
    const lastSeq = entries.value.at(-1)?.seq ?? -1;
    const fresh = batch.filter((e) => e.seq > lastSeq);
    if (fresh.length === 0) return;
    const next = entries.value.concat(fresh);
    entries.value = next.length > LOG_LIMIT ? next.slice(next.length - LOG_LIMIT) : next;
  }

  engine.onSession((rpc) => {
    // Live entries that beat the backlog are merged by seq once it arrives.
    const early: LogEntry[] = [];
    let backlogDone = false;
    const off = rpc.on('log', (e) => (backlogDone ? append([e]) : early.push(e)));
    rpc.api.getLogs({ limit: 500, level: 'debug' }).then((backlog) => {
      // The engine may have restarted (seq from 1 again): start over then.
      if ((backlog.at(-1)?.seq ?? Number.POSITIVE_INFINITY) < (entries.value.at(-1)?.seq ?? -1)) entries.value = [];
      append(backlog);
    }, () => undefined).finally(() => {
      backlogDone = true;
      append(early);
    });
    return off;
  });

  function clear(): void {
    entries.value = [];
  }

  return { entries, level, clear };
});
