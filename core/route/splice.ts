import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';

/** A relay handed to the native thread. */
export interface SpliceHandle {
  /** Bytes moved so far as counted by the native side: up = client→remote, down = remote→client. */
  sample(): [up: number, down: number];
  /** Asks the native side to stop relaying; onEnd follows (without error) on a later tick. */
  close(): void;
}

/** Options of one spliced relay. */
export interface SpliceOptions {
  /** Ends the relay after this long without a byte either way; 0 disables it. */
  idleTimeoutMs: number;
}

/** Whether the native addon loaded (Linux only) and `RELAYDESK_NATIVE` is not "0". */
export function nativeAvailable(): boolean {
  return process.env.RELAYDESK_NATIVE !== '0' && loadAddon() !== null;
}

/** Why the addon is not available (for a startup log line), or null when it is. */
export function nativeUnavailableReason(): string | null {
  if (process.env.RELAYDESK_NATIVE === '0') return 'disabled by RELAYDESK_NATIVE=0';
  return loadAddon() === null ? loadError : null;
}

/**
 * Relays client <-> remote in the native thread with splice(2). Returns null when the addon is
 * unavailable or the sockets cannot be handed over (no fd, TLS, not a net.Socket, already ended,
 * bytes buffered on the JS side): the caller then relays in JS, nothing was changed.
 * onEnd is called exactly once, on the JS thread, when both directions finished (EOF each way,
 * propagated as shutdown(SHUT_WR) on the other side = half-close), on idle timeout (an Error with
 * code ETIMEDOUT), on a socket error (an Error with the errno code, e.g. ECONNRESET), or after
 * close() (no error); the CALLER then destroys both sockets. The native side works on its own
 * duplicates of the descriptors and closes them before onEnd, never the caller's.
 */
export function spliceRelay(client: Socket, remote: Socket, opts: SpliceOptions, onEnd: (err?: Error) => void): SpliceHandle | null {
  if (!nativeAvailable()) return null;
  const native = addon as Addon;
  const clientFd = handoverFd(client);
  const remoteFd = clientFd < 0 ? -1 : handoverFd(remote);
  if (remoteFd < 0) return null;
  stopJsReading(client);
  stopJsReading(remote);
  const owned = { client, remote };
  let ended = false;
  let handle: object;
  try {
    handle = native.start(clientFd, remoteFd, opts.idleTimeoutMs, (err?: Error) => {
      if (ended) return;
      ended = true;
      live.delete(owned);
      onEnd(err);
    });
  } catch {
    // No descriptors or memory left for the pipes: the JS path can still try.
    restoreJsReading(client);
    restoreJsReading(remote);
    return null;
  }
  live.add(owned);
  return {
    sample: () => native.sample(handle),
    close: () => {
      if (!ended) native.close(handle);
    },
  };
}

interface Addon extends FrontAddon {
  start(clientFd: number, remoteFd: number, idleMs: number, onEnd: (err?: Error) => void): object;
}

/** How a native relay or dial ended badly: the errno code, and for TLS or WebSocket what went wrong in words. */
export interface NativeError extends NodeJS.ErrnoException {
  /** "connect", "handshake" (TLS), or "splice" (the relay). */
  syscall?: string;
  /** TLS: "self-signed certificate", "certificate pin mismatch: ..."; WebSocket: "refused: HTTP 404 Not Found", ... */
  reason?: string;
}

/** Events of a native front (see core/native/src/addon-front.c). */
export const FRONT_REQUEST = 0;
export const FRONT_HANDOFF = 1;
export const FRONT_BAD = 2;
export const FRONT_CLOSED = 3;
/**
 * FRONT_HANDOFF stages: as accepted, after a SOCKS5 no-auth greeting, a bridge carrying the VLESS
 * stream of a TLS/WebSocket client, or a bridge carrying an HTTP request that reached a
 * WebSocket-over-TLS port without upgrading to its path.
 */
export const FRONT_STAGE_FIRST = 0;
export const FRONT_STAGE_REQUEST = 1;
export const FRONT_STAGE_BRIDGED = 2;
export const FRONT_STAGE_BRIDGED_HTTP = 3;
/** Events of one front connection. */
export const CONN_CONNECTED = 1;
export const CONN_ENDED = 2;

/** What a native front speaks: SOCKS5 (mixed inbound) or VLESS (relay on plain TCP). */
export const PROTO_SOCKS5 = 0;
export const PROTO_VLESS = 1;

/**
 * The native front (accept, handshake and connect on the native thread); handles are opaque.
 * onEvent arguments by type: FRONT_REQUEST (conn, atyp, host, port, peerAddress, peerPort; VLESS
 * adds uuid, payload after the header), FRONT_HANDOFF (fd, stage 0 = nothing answered | 1 = at the
 * SOCKS5 request, bytes, peerAddress, peerPort), FRONT_BAD (kind | null, reason, peerAddress,
 * peerPort), FRONT_CLOSED ().
 */
export interface FrontAddon {
  /**
   * VLESS only: with a TLS server context clients speak TLS first, with `wsPath` they upgrade to a
   * WebSocket (other requests are handed over as they came), or both in that order; once either is
   * up, handoffs get a socketpair carrying the plain bytes (FRONT_STAGE_BRIDGED, _BRIDGED_HTTP).
   */
  frontListen(
    ip: string, port: number, backlog: number, handshakeMs: number, proto: number, onEvent: (type: number, ...args: unknown[]) => void,
    tls?: object, wsPath?: string,
  ): [front: object, port: number];
  frontClose(front: object): void;
  /**
   * onConn(CONN_CONNECTED) once the client was answered, then onConn(CONN_ENDED, err?) exactly once.
   * `prefix` goes to the remote first; `stripVless` drops the remote's VLESS response header; with
   * a TLS client context the remote speaks TLS, with `wsPath` and `wsHost` it is upgraded to a
   * WebSocket, with both to a WebSocket over TLS (a failed handshake or upgrade ends with
   * err.syscall "handshake" and err.reason, "TLS: ..." for the TLS under a WebSocket).
   */
  frontConnect(
    conn: object, ip: string, port: number, connectMs: number, idleMs: number, onConn: (type: number, err?: NativeError) => void,
    prefix?: Buffer, stripVless?: boolean, tls?: object, wsPath?: string, wsHost?: string,
  ): void;
  frontReject(conn: object, rep: number): void;
  frontRelease(conn: object, onFd: (fd: number) => void): void;
  /** [up, down] bytes of a relay or front connection. */
  sample(handle: object): [number, number];
  /** Ends a relay or front connection (onEnd / onConn(CONN_ENDED) follows). */
  close(handle: object): void;
  /**
   * Whether the TLS contexts below work: BoringSSL is installed (Debian's android-libboringssl,
   * loaded by the addon itself), or the process exports OpenSSL 3 (Node does, Electron does not).
   * `RELAYDESK_TLS_LIB=openssl|boringssl` allows only that one.
   */
  readonly tlsAvailable: boolean;
  /** "BoringSSL" or "OpenSSL"; null when neither is there, and then `tlsUnavailableReason` says why. */
  readonly tlsLibrary: 'BoringSSL' | 'OpenSSL' | null;
  readonly tlsUnavailableReason: string | null;
  /** A TLS server context from PEM; `alpn` in wire format. Throws E_TLS_CONFIG with the library's words. */
  tlsServerContext(certPem: Buffer, keyPem: Buffer, alpn: Buffer): object;
  /**
   * A TLS client context for one server and policy (see core/transport/native-tls.ts): `verifyName`
   * null accepts any certificate; `pin` is the leaf's SHA-256. It keeps the server's last ticket.
   */
  tlsClientContext(sni: string | null, verifyName: string | null, caPem: Buffer | null, alpn: Buffer, pin: Buffer | null): object;
}

/**
 * The native front, when the addon is loaded, `RELAYDESK_NATIVE` is not "0" and
 * `RELAYDESK_NATIVE_FRONT` is not "0" (that one keeps the splice relay but accepts in JS).
 */
export function frontAddon(): FrontAddon | null {
  return nativeAvailable() && process.env.RELAYDESK_NATIVE_FRONT !== '0' ? addon! : null;
}

/**
 * Whether a native front can speak TLS itself: the addon found a TLS library (tlsAvailable) and
 * `RELAYDESK_NATIVE_TLS` is not "0". Otherwise TLS clients and dials stay with JS.
 */
export function frontTls(addon: FrontAddon): boolean {
  return addon.tlsAvailable && process.env.RELAYDESK_NATIVE_TLS !== '0';
}

/** The parts of net.Socket internals (lib/net.js) the handover relies on. */
interface SocketInternals {
  _handle: {
    fd?: number;
    reading?: boolean;
    writeQueueSize?: number;
    readStop?(): number;
    setNoDelay?: unknown;
  } | null;
  _read(size: number): void;
  _readableState?: { ended?: boolean };
}

const ADDON_FILE = 'relaydesk_splice.node';
/** Relative to this module: from source (core/route/) and from the bundle (dist/). */
const ADDON_DIRS = ['../native/build/Release/', '../core/native/build/Release/'];

/** Sockets owned by the native side: kept reachable until onEnd. */
const live = new Set<{ client: Socket; remote: Socket }>();
let addon: Addon | null | undefined;
let loadError = 'not loaded';

function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.platform !== 'linux') {
    loadError = `splice(2) relay is Linux only (this is ${process.platform})`;
    return addon;
  }
  loadError = `${ADDON_FILE} not built (run: node build/native.js)`;
  try {
    const require = createRequire(import.meta.url);
    for (const dir of ADDON_DIRS) {
      const file = fileURLToPath(new URL(dir + ADDON_FILE, import.meta.url));
      if (!existsSync(file)) continue;
      addon = require(file) as Addon;
      break;
    }
  } catch (err) {
    loadError = `${ADDON_FILE} failed to load: ${err instanceof Error ? err.message : String(err)}`;
    addon = null;
  }
  return addon;
}

/** The socket's descriptor when it can be handed over as is, -1 otherwise. */
function handoverFd(socket: Socket): number {
  if (!(socket instanceof Socket) || socket instanceof TLSSocket) return -1;
  const s = socket as unknown as SocketInternals;
  const h = s._handle;
  // setNoDelay exists on TCP handles only (not on pipes, TLS or JS stream wrappers).
  if (h === null || typeof h.fd !== 'number' || h.fd < 0 || typeof h.readStop !== 'function' || typeof h.setNoDelay !== 'function') return -1;
  if (socket.destroyed || socket.connecting || socket.pending) return -1;
  if (socket.readableEnded || s._readableState?.ended || socket.writableEnded || socket.writableFinished) return -1;
  if (socket.readableLength > 0 || socket.writableLength > 0 || (h.writeQueueSize ?? 0) > 0) return -1;
  return h.fd;
}

function noRead(): void {
  // The native side owns the descriptor: a queued resume()/read(0) must not restart libuv reads.
}

function stopJsReading(socket: Socket): void {
  const s = socket as unknown as SocketInternals;
  socket.pause();
  const h = s._handle;
  if (h?.readStop) {
    h.reading = false;
    h.readStop();
  }
  s._read = noRead;
  // Idle time is the native side's to measure; a leftover JS timeout would fire on a live relay.
  socket.setTimeout(0);
}

function restoreJsReading(socket: Socket): void {
  delete (socket as unknown as Partial<SocketInternals>)._read;
}
