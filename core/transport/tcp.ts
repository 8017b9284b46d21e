import net, { type Socket } from 'node:net';

/** Where and how to open a client TCP connection. */
export interface TcpDialOptions {
  host: string;
  port: number;
  /** Aborting destroys the socket; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * An unconnected socket to connect (a net.Socket subclass, say); it should be allowHalfOpen.
   * @default a new allowHalfOpen net.Socket
   */
  socket?: Socket;
}

/**
 * Opens a TCP connection. Resolves with the connected socket, noDelay and paused (call resume()
 * to read: a 'data' listener alone does not), with none of this function's listeners left on it:
 * the caller must add an 'error' listener at once. Rejects with the socket's own error (`code` ECONNREFUSED,
 * ENOTFOUND, ...: map it with dialError) or with `signal.reason`; the socket is destroyed then.
 */
export function dialTcp(opts: TcpDialOptions): Promise<Socket> {
  const { host, port, signal } = opts;
  return new Promise<Socket>((resolve, reject) => {
    if (signal?.aborted) {
      opts.socket?.destroy();
      reject(signal.reason);
      return;
    }
    const socket = opts.socket ?? new net.Socket({ allowHalfOpen: true });
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    function onAbort() {
      cleanup();
      socket.destroy();
      reject(signal!.reason);
    }
    function onError(err: Error) {
      cleanup();
      socket.destroy();
      reject(err);
    }
    function onConnect() {
      cleanup();
      socket.setNoDelay(true);
      socket.pause();
      resolve(socket);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', onConnect);
    socket.once('error', onError);
    socket.connect({ host, port });
  });
}
