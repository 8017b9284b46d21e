/** Something to stop (matches core/rpc's Disposable). */
export type Stop = () => void;

/** A reference-counted poll loop: see createPoller. */
export interface Poller {
  /** Starts polling for one watcher; the returned function stops it when the last watcher leaves. */
  watch(): Stop;
  /** Whether anyone is watching. */
  readonly active: boolean;
}

/**
 * Calls `refresh` at once and then `periodMs` after each call finished, while at least one watcher
 * is registered. A chain of timeouts, not an interval: a slow answer never stacks calls.
 */
export function createPoller(refresh: () => Promise<void>, periodMs: number): Poller {
  let watchers = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async (): Promise<void> => {
    await refresh();
    if (watchers > 0) timer = setTimeout(() => void tick(), periodMs);
  };
  return {
    watch() {
      watchers++;
      if (watchers === 1) void tick();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        watchers--;
        if (watchers === 0) clearTimeout(timer);
      };
    },
    get active() {
      return watchers > 0;
    },
  };
}
