import { onBeforeUnmount, readonly, ref, type Ref } from 'vue';

/** Whether the system prefers a dark colour scheme, kept up to date. */
export function usePreferredDark(): Readonly<Ref<boolean>> {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const dark = ref(query.matches);
  const queryOnChange = (e: MediaQueryListEvent): void => { dark.value = e.matches; };
  query.addEventListener('change', queryOnChange);
  onBeforeUnmount(() => query.removeEventListener('change', queryOnChange));
  return readonly(dark);
}
