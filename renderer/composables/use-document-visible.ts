import { onBeforeUnmount, readonly, ref, watch, type Ref } from 'vue';
import type { Disposable } from '../../core/rpc';

/** Whether the document is visible (not in a background tab or minimised window). */
export function useDocumentVisible(): Readonly<Ref<boolean>> {
  const visible = ref(!document.hidden);
  const documentOnVisibilityChange = (): void => { visible.value = !document.hidden; };
  document.addEventListener('visibilitychange', documentOnVisibilityChange);
  onBeforeUnmount(() => document.removeEventListener('visibilitychange', documentOnVisibilityChange));
  return readonly(visible);
}

/**
 * Runs `start` (a poller that returns its stopper) while this component is mounted and the
 * document is visible: stopped when the window goes to the background, restarted when it comes
 * back, stopped for good on unmount.
 */
export function usePollWhileVisible(start: () => Disposable): void {
  const visible = useDocumentVisible();
  let stop: Disposable | null = null;
  watch(visible, (on) => {
    if (on && !stop) stop = start();
    else if (!on && stop) { stop(); stop = null; }
  }, { immediate: true });
  onBeforeUnmount(() => stop?.());
}
