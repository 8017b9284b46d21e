import type { EventEmitter } from 'node:events';

/**
 * A connected byte stream as protocol code on top of a transport needs it: a net/tls socket, or a
 * WsConn (bytes in WebSocket binary messages). Events: 'data' (Buffer), 'drain', 'end' (the
 * peer finished sending), 'error', 'close'.
 */
export interface ByteCarrier extends EventEmitter {
  /** Queues bytes; false when the caller should wait for 'drain' before writing more. */
  write(chunk: Buffer): boolean;
  /** No more writes: a half-close where the transport has one (TCP, TLS); see WsConn.end otherwise. */
  end(): void;
  /** Closes now; pending writes may be lost. */
  destroy(err?: Error): void;
  pause(): void;
  resume(): void;
}
