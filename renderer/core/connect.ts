import {
  connectCore, messagePortChannel, webSocketChannel, type Channel, type CoreApi, type CoreEvents,
  type Disposable, type Rpc,
} from '../../core/rpc';
import { backoffDelay } from '../lib/backoff';
import { rpcSocketUrl, takeToken } from '../lib/token';
import { SessionHub } from '../lib/session-hub';

/** The engine as the renderer sees it: typed calls plus event subscriptions. */
export type CoreRpc = Rpc<CoreApi, CoreEvents>;

/**
 * - `connecting`: first attempt under way.
 * - `connected`: a session is ready.
 * - `reconnecting`: the session was lost (or an attempt failed); retrying with backoff, or in
 *   the desktop app waiting for the shell to hand over a new port.
 * - `unauthorized`: the browser has no token or the server rejected it; no retries.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

/** Called with each ready session; the returned disposer (if any) runs when that session ends. */
export type SessionHandler = (rpc: CoreRpc) => void | Disposable;

export interface CoreConnection {
  readonly status: ConnectionStatus;
  /** Human-readable reason of the last disconnect or failure ('' when connected). */
  readonly detail: string;
  /** `handler(status, detail)` on every change. */
  onStatus(handler: (status: ConnectionStatus, detail: string) => void): Disposable;
  /** Runs `handler` for the live session (if any) and for every later one. */
  onSession(handler: SessionHandler): Disposable;
  /** Ends the session and stops reconnecting. */
  close(): void;
}

export interface ConnectOptions {
  /** Desktop (MessagePort from the preload) or browser (WebSocket with token). @default detected from `window.relaydeskDesktop` */
  desktop?: boolean;
  /** Per-call timeout. @default 15000 */
  timeoutMs?: number;
}

/** The window message the Electron preload posts, with the core's MessagePort in `ports[0]`. */
export const CORE_PORT_MESSAGE = 'relaydesk:core-port';
const TOKEN_KEY = 'relaydesk.token';
/** Close codes a server may use to refuse the token after accepting the upgrade. */
const AUTH_CLOSE_CODES = new Set([4401, 4403, 1008]);

declare global {
  interface Window {
    /** Set to true by the Electron preload; absent in a plain browser. */
    relaydeskDesktop?: boolean;
  }
}

/**
 * Connects to the engine and keeps the connection alive. This is the only renderer code that
 * touches a transport: in the desktop app it wraps the MessagePort the preload forwards, in a
 * browser it opens `ws(s)://<host>/rpc?token=…` and reconnects with backoff.
 */
export function openCoreConnection(options: ConnectOptions = {}): CoreConnection {
  const desktop = options.desktop ?? window.relaydeskDesktop === true;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const hub = new SessionHub<ConnectionStatus, CoreRpc>('connecting', 'core');
  let current: CoreRpc | null = null;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;




  /** Starts an RPC session on `channel`; `onLost` decides what happens when it ends. */
  const startSession = (channel: Channel, onLost: (reason: string) => void): CoreRpc => {
    const rpc = connectCore(channel, { timeoutMs });
    current = rpc;
    rpc.onClose((reason) => {
      if (current !== rpc) return;
      current = null;
      hub.end();
      if (!closed) onLost(reason);
    });
    rpc.ready.then(() => {
      if (current !== rpc || closed) return;
      attempt = 0;
      hub.begin(rpc, 'connected');
    }, (err: Error) => {
      // A version mismatch leaves the channel closed by createRpc; record why.
      if (current === rpc) hub.detail = err.message;
    });
    return rpc;
  };

  const scheduleRetry = (why: string): void => {
    if (closed) return;
    hub.setStatus('reconnecting', why);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(dialSocket, backoffDelay(attempt++));
  };

  const dialSocket = (): void => {
    if (closed) return;
    const token = readToken();
    if (!token) {
      hub.setStatus('unauthorized', 'no token');
      return;
    }
    let opened = false;
    let closeCode = 0;
    const ws = new WebSocket(rpcSocketUrl(window.location, token));
    ws.addEventListener('open', () => { opened = true; });
    ws.addEventListener('close', (e) => { closeCode = e.code; });
    startSession(webSocketChannel(ws), (reason) => {
      if (AUTH_CLOSE_CODES.has(closeCode)) {
        hub.setStatus('unauthorized', reason);
        return;
      }
      if (opened) {
        scheduleRetry(reason);
        return;
      }
      // Browsers hide the HTTP status of a refused upgrade; ask the server plainly.
      hub.setStatus('reconnecting', reason);
      void probeUnauthorized(token).then((unauthorized) => {
        if (closed) return;
        if (unauthorized) hub.setStatus('unauthorized', 'token rejected');
        else scheduleRetry(reason);
      });
    });
  };

  const windowOnMessage = (e: MessageEvent): void => {
    if (e.source !== window || (e.data as { type?: unknown } | null)?.type !== CORE_PORT_MESSAGE) return;
    const port = e.ports[0];
    if (!port || closed) return;
    // A new port replaces the old session (the shell restarted the core).
    const previous = current;
    current = null;
    if (previous) { hub.end(); previous.close(); }
    if (hub.status === 'connected') hub.setStatus('reconnecting', 'new port');
    const rpc = startSession(messagePortChannel(port), (reason) => hub.setStatus('reconnecting', reason));
    // Chromium fires 'close' on an entangled port whose peer went away.
    port.addEventListener('close', () => rpc.close());
  };

  if (desktop) window.addEventListener('message', windowOnMessage);
  else dialSocket();

  return {
    get status() { return hub.status; },
    get detail() { return hub.detail; },
    onStatus: (handler) => hub.onStatus(handler),
    onSession: (handler) => hub.onSession(handler),
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      window.removeEventListener('message', windowOnMessage);
      const rpc = current;
      current = null;
      hub.end();
      rpc?.close();
    },
  };
}

/** The token from the address bar (then hidden from it) or from this tab's session. */
function readToken(): string | null {
  let stored: string | null = null;
  try { stored = sessionStorage.getItem(TOKEN_KEY); } catch { /* storage disabled */ }
  const { token, cleanedUrl } = takeToken(window.location.href, stored);
  if (cleanedUrl !== null) window.history.replaceState(window.history.state, '', cleanedUrl);
  if (token && token !== stored) {
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch { /* storage disabled */ }
  }
  return token;
}

async function probeUnauthorized(token: string): Promise<boolean> {
  try {
    const res = await fetch(`/rpc?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
    return res.status === 401 || res.status === 403;
  } catch {
    return false;
  }
}
