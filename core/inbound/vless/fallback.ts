import type { Socket } from 'node:net';

/**
 * Serves a plaintext connection whose first bytes are an HTTP request instead of VLESS. It owns
 * `socket` from then on (paused, no listeners of ours but an error logger); `head` holds every
 * byte read so far. The relay still destroys the socket when it closes.
 */
export type FallbackHandler = (socket: Socket, head: Buffer) => void;

/**
 * The first four bytes of the request methods VLESS-Rust sniffs (PROTOCOLS.md §5.2). A VLESS
 * request starts with version 0, so the two can never be confused.
 */
const METHOD_PREFIXES = ['GET ', 'POST', 'HEAD', 'PUT ', 'DELE', 'OPTI', 'PATC', 'CONN', 'TRAC'].map((m) => Buffer.from(m, 'latin1'));

/** How long the default handler lets the client read its answer before destroying the socket. */
const LINGER_MS = 2000;
const BODY = 'Not Found\n';
const NOT_FOUND = Buffer.from(
  `HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`,
  'latin1',
);

/** Whether `buf` starts like an HTTP request: "yes", "no", or "more" when too short to tell. */
export function sniffHttp(buf: Buffer): 'yes' | 'no' | 'more' {
  const n = Math.min(buf.length, 4);
  for (const m of METHOD_PREFIXES) {
    if (buf.compare(m, 0, n, 0, n) === 0) return n === 4 ? 'yes' : 'more';
  }
  return 'no';
}

/** Until the monitor API plugs in: `404 Not Found`, then the connection closes. */
export const notFoundFallback: FallbackHandler = (socket) => {
  if (socket.destroyed) return;
  socket.on('data', discard);
  socket.once('end', () => socket.destroy());
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.end(NOT_FOUND);
  socket.resume();
};

function discard(): void {
  // The rest of the request is read only so that closing does not reset the answer away.
}
