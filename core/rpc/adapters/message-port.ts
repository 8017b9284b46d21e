import type { Channel } from '../channel';
import type { RpcMessage } from '../protocol';

/**
 * The MessagePort shapes we accept, structurally: Electron's MessagePortMain and Node's
 * worker_threads MessagePort (`on`/`off`/`close`, 'message' + 'close' events), and the DOM
 * MessagePort (`addEventListener`, no close event: close is detected only locally).
 */
export type PortLike =
  | { on(ev: 'message' | 'close', fn: (arg: any) => void): unknown; postMessage(m: unknown): void; close(): void; start?(): void }
  | { addEventListener(ev: 'message', fn: (e: { data: unknown }) => void): void; postMessage(m: unknown): void; close(): void; start(): void };

/** A Channel over a MessagePort: structured clone, no JSON. */
export function messagePortChannel(port: PortLike): Channel {
  let closed = false;
  let onCloseFn: ((reason: string) => void) | null = null;
  const fireClose = (reason: string): void => {
    if (closed) return;
    closed = true;
    onCloseFn?.(reason);
  };
  return {
    post(message) {
      if (!closed) port.postMessage(message);
    },
    listen(onMessage, onClose) {
      onCloseFn = onClose;
      // Node delivers the value itself; Electron and the DOM deliver an event with `.data`.
      const deliver = (arg: any): void => {
        const m = arg && typeof arg === 'object' && 't' in arg ? arg : arg?.data;
        onMessage(m as RpcMessage);
      };
      if ('on' in port) {
        port.on('message', deliver);
        port.on('close', () => fireClose('port closed'));
      } else {
        port.addEventListener('message', deliver);
      }
      port.start?.();
    },
    close() {
      if (closed) return;
      port.close();
      fireClose('closed locally');
    },
  };
}
