import type { RpcMessage } from './protocol';

/**
 * The only thing createRpc needs from a transport: three methods. Adapters exist for
 * MessagePort (Electron, worker_threads, browser) and WebSocket (browser, `ws`).
 */
export interface Channel {
  /** Send one message; silently dropped once the channel is closed. */
  post(message: RpcMessage): void;
  /**
   * Start delivering messages. `onClose` is called once, when either side closes
   * or the transport fails. Called at most once per channel.
   */
  listen(onMessage: (message: RpcMessage) => void, onClose: (reason: string) => void): void;
  /** Close the transport; `onClose` fires. Idempotent. */
  close(): void;
}
