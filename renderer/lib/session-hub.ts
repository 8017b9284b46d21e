/** Something to undo (matches core/rpc's Disposable). */
export type Undo = () => void;

/** Called with each ready session; the returned disposer (if any) runs when that session ends. */
export type SessionHandlerOf<R> = (session: R) => void | Undo;

/**
 * The bookkeeping every long-lived RPC connection of the renderer shares (the engine's, the
 * desktop shell's): a status with its reason and listeners, and the live session with the
 * handlers that run for it and their cleanups when it ends. Transport logic stays with the caller.
 */
export class SessionHub<S extends string, R> {
  private currentStatus: S;
  private currentDetail = '';
  private liveSession: R | null = null;
  private readonly statusHandlers = new Set<(status: S, detail: string) => void>();
  private readonly sessionHandlers = new Set<SessionHandlerOf<R>>();
  private readonly cleanups = new Map<SessionHandlerOf<R>, Undo>();

  /** @param label names the connection in console errors of failing handlers. */
  constructor(initial: S, private readonly label: string) {
    this.currentStatus = initial;
  }

  get status(): S { return this.currentStatus; }
  get detail(): string { return this.currentDetail; }
  set detail(why: string) { this.currentDetail = why; }
  get live(): R | null { return this.liveSession; }

  /** Changes the status and tells the listeners (nothing when both are unchanged). */
  setStatus(next: S, why = ''): void {
    if (this.currentStatus === next && this.currentDetail === why) return;
    this.currentStatus = next;
    this.currentDetail = why;
    for (const h of this.statusHandlers) h(next, why);
  }

  onStatus(handler: (status: S, detail: string) => void): Undo {
    this.statusHandlers.add(handler);
    return () => { this.statusHandlers.delete(handler); };
  }

  /** Runs `handler` for the live session (if any) and every later one. */
  onSession(handler: SessionHandlerOf<R>): Undo {
    this.sessionHandlers.add(handler);
    if (this.liveSession) this.run(handler, this.liveSession);
    return () => {
      this.sessionHandlers.delete(handler);
      const cleanup = this.cleanups.get(handler);
      this.cleanups.delete(handler);
      cleanup?.();
    };
  }

  /** A session is ready: it becomes the live one, the status changes, then every handler runs for it. */
  begin(session: R, status: S): void {
    this.liveSession = session;
    this.setStatus(status);
    for (const h of this.sessionHandlers) this.run(h, session);
  }

  /** The live session ended: the cleanups its handlers returned run. */
  end(): void {
    this.liveSession = null;
    for (const cleanup of this.cleanups.values()) {
      try { cleanup(); } catch (err) { console.error(`${this.label} session cleanup failed`, err); }
    }
    this.cleanups.clear();
  }

  private run(h: SessionHandlerOf<R>, session: R): void {
    try {
      const cleanup = h(session);
      if (cleanup) this.cleanups.set(h, cleanup);
    } catch (err) {
      console.error(`${this.label} session handler failed`, err);
    }
  }
}
