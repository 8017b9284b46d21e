import type { Channel } from '../channel';
import type { RpcMessage } from '../protocol';

/** The WebSocket surface shared by the browser's WebSocket and the `ws` package. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(ev: 'message', fn: (e: { data: unknown }) => void): void;
  addEventListener(ev: 'close', fn: (e: { code: number; reason: string }) => void): void;
  addEventListener(ev: 'error', fn: (e: unknown) => void): void;
  addEventListener(ev: 'open', fn: () => void): void;
}

const CONNECTING = 0;
const OPEN = 1;

/**
 * A Channel over a WebSocket: one JSON text frame per message. Wrap the socket right after
 * constructing it (CONNECTING is fine: posts wait for 'open'), so that no early frame from the
 * peer can arrive before the listener is attached.
 */
export function webSocketChannel(ws: SocketLike): Channel {
  let closed = false;
  let early: string[] | null = ws.readyState === CONNECTING ? [] : null;
  if (early) {
    ws.addEventListener('open', () => {
      const pending = early ?? [];
      early = null;
      for (const frame of pending) ws.send(frame);
    });
  }
  let onCloseFn: ((reason: string) => void) | null = null;
  const fireClose = (reason: string): void => {
    if (closed) return;
    closed = true;
    onCloseFn?.(reason);
  };
  return {
    post(message) {
      if (closed) return;
      if (early) early.push(JSON.stringify(message));
      else if (ws.readyState === OPEN) ws.send(JSON.stringify(message));
    },
    listen(onMessage, onClose) {
      onCloseFn = onClose;
      ws.addEventListener('message', (e) => {
        if (typeof e.data !== 'string') return;
        let m: unknown;
        try { m = JSON.parse(e.data); } catch { return; }
        onMessage(m as RpcMessage);
      });
      ws.addEventListener('close', (e) => fireClose(`websocket closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`));
      ws.addEventListener('error', () => fireClose('websocket error'));
      if (ws.readyState > OPEN) fireClose('websocket already closed');
    },
    close() {
      if (closed) return;
      ws.close(1000, 'bye');
      fireClose('closed locally');
    },
  };
}
