import { defineStore } from 'pinia';
import { shallowRef, triggerRef } from 'vue';
import type { StatsTick } from '../../core/rpc';
import { RingBuffer } from '../lib/ring-buffer';
import { useEngineStore } from './engine';

/** One second of traffic: [time ms, upload B/s, download B/s]. */
export type SpeedPoint = [time: number, up: number, down: number];

/** Seconds of speed history kept for the dashboard chart. */
export const SERIES_SECONDS = 300;

/** The latest 1 Hz tick and the last five minutes of total speed. */
export const useStatsStore = defineStore('stats', () => {
  const engine = useEngineStore();
  const latest = shallowRef<StatsTick | null>(null);
  // Plain buffer in a shallowRef: one trigger per tick, no deep proxies over 300 tuples.
  const series = shallowRef(new RingBuffer<SpeedPoint>(SERIES_SECONDS));

  function statsOnTick(tick: StatsTick): void {
    latest.value = tick;
    series.value.push([tick.time, tick.up, tick.down]);
    triggerRef(series);
  }

  engine.onSession((rpc) => {
    const off = rpc.on('stats', statsOnTick);
    rpc.api.getStats().then((tick) => { if (!latest.value || latest.value.time < tick.time) latest.value = tick; }, () => undefined);
    rpc.api.getHistory({ range: '1h', scope: 'total' }).then((history) => {
      const live = series.value.toArray();
      const firstLive = live[0]?.[0] ?? Number.POSITIVE_INFINITY;
      const cutoff = Date.now() - SERIES_SECONDS * 1000;
      const res = history.resolution || 1;
      const next = new RingBuffer<SpeedPoint>(SERIES_SECONDS);
      for (const [t, up, down] of history.points) {
        if (t >= cutoff && t < firstLive) next.push([t, up / res, down / res]);
      }
      for (const p of live) next.push(p);
      series.value = next;
    }, () => undefined);
    return off;
  });

  return { latest, series };
});
