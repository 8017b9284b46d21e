import type { Disposable, EventSource } from '../rpc';

/** A typed synchronous event bus; a throwing listener is isolated from the others. */
export class EventBus<E> implements EventSource<E> {
  private readonly listeners = new Map<keyof E, Set<(data: any) => void>>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  on<K extends keyof E & string>(event: K, handler: (data: E[K]) => void): Disposable {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(handler);
    return () => { set!.delete(handler); };
  }

  emit<K extends keyof E & string>(event: K, data: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const h of set) {
      try { h(data); } catch (err) { this.onListenerError(err); }
    }
  }

  /** Whether anyone listens (lets producers skip building payloads). */
  has(event: keyof E): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }
}
