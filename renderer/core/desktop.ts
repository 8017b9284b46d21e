import {
  connectDesktop, DESKTOP_PORT_MESSAGES, messagePortChannel, type DesktopApi, type DesktopEvents,
  type Disposable, type PortLike, type Rpc,
} from '../../core/rpc';

/** The desktop shell as the renderer sees it: typed calls plus `desktop` events. */
export type DesktopRpc = Rpc<DesktopApi, DesktopEvents>;

/**
 * - `unavailable`: a plain browser; there is no shell and never will be.
 * - `waiting`: the desktop app, before the shell handed over its first port.
 * - `connected`: a session is ready.
 * - `lost`: the session ended; waiting for the shell to hand over a new port.
 */
export type DesktopStatus = 'unavailable' | 'waiting' | 'connected' | 'lost';

/** Called with each ready session; the returned disposer (if any) runs when that session ends. */
export type DesktopSessionHandler = (rpc: DesktopRpc) => void | Disposable;

/** The window message the preload posts, as far as we read it. */
export interface PortMessage {
  readonly source: unknown;
  readonly data: unknown;
  readonly ports: readonly PortLike[];
}

/** Where port messages arrive (the window), structurally, so tests need no DOM. */
export interface PortMessageTarget {
  addEventListener(type: 'message', listener: (e: PortMessage) => void): void;
  removeEventListener(type: 'message', listener: (e: PortMessage) => void): void;
}

export interface DesktopConnectOptions {
  /** Whether this page runs in the desktop app. @default `window.relaydeskDesktop === true` */
  desktop?: boolean;
  /** Where the preload's messages arrive. @default window */
  target?: PortMessageTarget;
  /** The only `event.source` accepted (the page itself, where the preload posts). @default window */
  source?: unknown;
  /** Per-call timeout. @default 15000 */
  timeoutMs?: number;
}

export interface DesktopConnection {
  readonly status: DesktopStatus;
  /** Why the last session ended or failed ('' when connected). */
  readonly detail: string;
  /** The live session, null when there is none. */
  readonly session: DesktopRpc | null;
  /** `handler(status, detail)` on every change. */
  onStatus(handler: (status: DesktopStatus, detail: string) => void): Disposable;
  /** Runs `handler` for the live session (if any) and for every later one. */
  onSession(handler: DesktopSessionHandler): Disposable;
  /** Ends the session and stops listening for ports. */
  close(): void;
}

/**
 * The session with the desktop shell (system proxy, auto-start, preferences). In the desktop
 * app the preload posts `relaydesk:desktop-port` with a MessagePort; each new port (window
 * reload, main restarting the service) replaces the previous session. In a plain browser
 * nothing is listened to and the status stays `unavailable`.
 */
export function openDesktopConnection(options: DesktopConnectOptions = {}): DesktopConnection {
  const hasWindow = typeof window !== 'undefined';
  const desktop = options.desktop ?? (hasWindow && (window as { relaydeskDesktop?: boolean }).relaydeskDesktop === true);
  const target = options.target ?? (hasWindow ? (window as unknown as PortMessageTarget) : undefined);
  const expectedSource = 'source' in options ? options.source : hasWindow ? window : undefined;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const statusHandlers = new Set<(status: DesktopStatus, detail: string) => void>();
  const sessionHandlers = new Set<DesktopSessionHandler>();
  const sessionCleanups = new Map<DesktopSessionHandler, Disposable>();
  const listening = desktop && target !== undefined;
  let status: DesktopStatus = listening ? 'waiting' : 'unavailable';
  let detail = '';
  let live: DesktopRpc | null = null;
  let current: DesktopRpc | null = null;
  let closed = false;

  const setStatus = (next: DesktopStatus, why = ''): void => {
    if (status === next && detail === why) return;
    status = next;
    detail = why;
    for (const h of statusHandlers) h(status, detail);
  };

  const runHandler = (h: DesktopSessionHandler, rpc: DesktopRpc): void => {
    try {
      const cleanup = h(rpc);
      if (cleanup) sessionCleanups.set(h, cleanup);
    } catch (err) {
      console.error('desktop session handler failed', err);
    }
  };

  const endSession = (): void => {
    live = null;
    for (const cleanup of sessionCleanups.values()) {
      try { cleanup(); } catch (err) { console.error('desktop session cleanup failed', err); }
    }
    sessionCleanups.clear();
  };

  const startSession = (port: PortLike): void => {
    const rpc = connectDesktop(messagePortChannel(port), { timeoutMs });
    current = rpc;
    rpc.onClose((reason) => {
      if (current !== rpc) return;
      current = null;
      endSession();
      if (!closed) setStatus('lost', reason);
    });
    rpc.ready.then(() => {
      if (current !== rpc || closed) return;
      live = rpc;
      setStatus('connected');
      for (const h of sessionHandlers) runHandler(h, rpc);
    }, (err: Error) => {
      // A version mismatch leaves the channel closed by createRpc; record why.
      if (current === rpc || current === null) detail = err.message;
    });
    // Chromium fires 'close' on an entangled DOM port whose peer went away (Node ports use `on`).
    if (!('on' in port)) {
      (port as unknown as { addEventListener(type: string, fn: () => void): void }).addEventListener('close', () => rpc.close());
    }
  };

  const windowOnMessage = (e: PortMessage): void => {
    if (closed || e.source !== expectedSource) return;
    if ((e.data as { type?: unknown } | null)?.type !== DESKTOP_PORT_MESSAGES.desktop) return;
    const port = e.ports[0];
    if (!port) return;
    const previous = current;
    current = null;
    if (previous) {
      endSession();
      previous.close();
      setStatus('lost', 'new port');
    }
    startSession(port);
  };

  if (listening) target.addEventListener('message', windowOnMessage);

  return {
    get status() { return status; },
    get detail() { return detail; },
    get session() { return live; },
    onStatus(handler) {
      statusHandlers.add(handler);
      return () => { statusHandlers.delete(handler); };
    },
    onSession(handler) {
      sessionHandlers.add(handler);
      if (live) runHandler(handler, live);
      return () => {
        sessionHandlers.delete(handler);
        const cleanup = sessionCleanups.get(handler);
        sessionCleanups.delete(handler);
        cleanup?.();
      };
    },
    close() {
      if (closed) return;
      closed = true;
      if (listening) target.removeEventListener('message', windowOnMessage);
      const rpc = current;
      current = null;
      endSession();
      rpc?.close();
    },
  };
}
