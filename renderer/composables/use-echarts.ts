import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use, type ECharts, type EChartsCoreOption } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue';

use([LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export interface UseEChartsOptions {
  /** Replace the whole option on each update instead of merging. @default false */
  notMerge?: boolean;
}

/**
 * Mounts an ECharts instance on `el` and keeps it in sync with `option()` (a reactive getter;
 * null draws nothing). Follows the element's size, skips redraws while the document is hidden
 * (applying the latest option when it shows again) and disposes itself on unmount.
 */
export function useECharts(el: Ref<HTMLElement | null>, option: () => EChartsCoreOption | null, options: UseEChartsOptions = {}): { chart: () => ECharts | null } {
  let chart: ECharts | null = null;
  let observer: ResizeObserver | null = null;
  let pending: EChartsCoreOption | null = null;
  let stopWatch: (() => void) | null = null;

  const apply = (next: EChartsCoreOption | null): void => {
    if (!chart || !next) return;
    if (document.hidden) {
      pending = next;
      return;
    }
    pending = null;
    chart.setOption(next, { notMerge: options.notMerge ?? false, lazyUpdate: true });
  };

  const documentOnVisibilityChange = (): void => {
    if (!document.hidden && pending) apply(pending);
  };

  onMounted(() => {
    if (!el.value) return;
    chart = init(el.value, undefined, { renderer: 'canvas' });
    observer = new ResizeObserver(() => chart?.resize());
    observer.observe(el.value);
    document.addEventListener('visibilitychange', documentOnVisibilityChange);
    stopWatch = watch(option, apply, { immediate: true });
  });

  onBeforeUnmount(() => {
    stopWatch?.();
    observer?.disconnect();
    document.removeEventListener('visibilitychange', documentOnVisibilityChange);
    chart?.dispose();
    chart = null;
    pending = null;
  });

  return { chart: () => chart };
}
