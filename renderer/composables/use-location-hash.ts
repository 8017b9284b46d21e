import { onBeforeUnmount, readonly, ref, type Ref } from 'vue';

/** `location.hash`, following back/forward and links; `set` navigates (adds a history entry). */
export function useLocationHash(): { hash: Readonly<Ref<string>>; set: (hash: string) => void } {
  const hash = ref(window.location.hash);
  const windowOnHashChange = (): void => { hash.value = window.location.hash; };
  window.addEventListener('hashchange', windowOnHashChange);
  onBeforeUnmount(() => window.removeEventListener('hashchange', windowOnHashChange));
  const set = (next: string): void => {
    if (window.location.hash !== next) window.location.hash = next;
    hash.value = window.location.hash;
  };
  return { hash: readonly(hash), set };
}
