import {
  connectDesktop, DESKTOP_PORT_MESSAGES, messagePortChannel, type DesktopApi, type DesktopEvents,
  type Disposable, type PortLike, type Rpc,
} from '../../core/rpc';
import { SessionHub } from '../lib/session-hub';

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
  const listening = desktop && target !== undefined;
  const hub = new SessionHub<DesktopStatus, DesktopRpc>(listening ? 'waiting' : 'unavailable', 'desktop');
  let current: DesktopRpc | null = null;
  let closed = false;




  const startSession = (port: PortLike): void => {
    const rpc = connectDesktop(messagePortChannel(port), { timeoutMs });
    current = rpc;
    rpc.onClose((reason) => {
      if (current !== rpc) return;
      current = null;
      hub.end();
      if (!closed) hub.setStatus('lost', reason);
    });
    rpc.ready.then(() => {
      if (current !== rpc || closed) return;
      hub.begin(rpc, 'connected');
    }, (err: Error) => {
      // A version mismatch leaves the channel closed by createRpc; record why.
      if (current === rpc || current === null) hub.detail = err.message;
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
      hub.end();
      previous.close();
      hub.setStatus('lost', 'new port');
    }
    startSession(port);
  };

  if (listening) target.addEventListener('message', windowOnMessage);

  return {
    get status() { return hub.status; },
    get detail() { return hub.detail; },
    get session() { return hub.live; },
    onStatus: (handler) => hub.onStatus(handler),
    onSession: (handler) => hub.onSession(handler),
    close() {
      if (closed) return;
      closed = true;
      if (listening) target.removeEventListener('message', windowOnMessage);
      const rpc = current;
      current = null;
      hub.end();
      rpc?.close();
    },
  };
}
