import { onBeforeUnmount, readonly, ref, type Ref } from 'vue';

/**
 * Whether the page shows its dark palette, kept up to date: the desktop theme preference
 * (`<html data-theme="light|dark">`) when set, else the system's prefers-color-scheme.
 */
export function usePreferredDark(): Readonly<Ref<boolean>> {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const root = document.documentElement;
  const compute = (): boolean => {
    const forced = root.dataset.theme;
    return forced === 'dark' || (forced !== 'light' && query.matches);
  };
  const dark = ref(compute());
  const update = (): void => { dark.value = compute(); };
  query.addEventListener('change', update);
  const observer = new MutationObserver(update);
  observer.observe(root, { attributes: true, attributeFilter: ['data-theme'] });
  onBeforeUnmount(() => {
    query.removeEventListener('change', update);
    observer.disconnect();
  });
  return readonly(dark);
}
