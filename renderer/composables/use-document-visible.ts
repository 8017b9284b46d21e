import { onBeforeUnmount, readonly, ref, type Ref } from 'vue';

/** Whether the document is visible (not in a background tab or minimised window). */
export function useDocumentVisible(): Readonly<Ref<boolean>> {
  const visible = ref(!document.hidden);
  const documentOnVisibilityChange = (): void => { visible.value = !document.hidden; };
  document.addEventListener('visibilitychange', documentOnVisibilityChange);
  onBeforeUnmount(() => document.removeEventListener('visibilitychange', documentOnVisibilityChange));
  return readonly(visible);
}
