import net, { type Socket } from 'node:net';
import type { Destination } from '../adapter';
import {
  AUTH_SUCCESS, METHOD_NO_ACCEPTABLE, METHOD_NO_AUTH, METHOD_USER_PASS, REP_ADDRESS_TYPE_NOT_SUPPORTED, REP_COMMAND_NOT_SUPPORTED,
  REP_CONNECTION_REFUSED, REP_GENERAL_FAILURE, REP_HOST_UNREACHABLE, REP_NETWORK_UNREACHABLE, REP_NOT_ALLOWED, REP_SUCCEEDED,
  REP_TTL_EXPIRED,
} from '../codec/socks5';
import { encodeAuthRequest, encodeGreeting, encodeRequest, parseAuthStatus, parseMethodSelection, parseReply } from '../codec/socks5-client';
import { formatHostPort } from '../common/net';
import { CoreError, type ErrorCode, type SocksProfileSpec } from '../rpc';
import { dialError } from './direct';

/** A finished SOCKS5 handshake: the upstream socket (paused) and the server's BND address. */
export interface SocksHandshake {
  socket: Socket;
  bind: Destination;
}

/**
 * Connects to the SOCKS5 server of `spec` and runs one request (CONNECT or UDP ASSOCIATE) for
 * `dst`. Without credentials the greeting and the request go in one write (one round trip);
 * with credentials both methods are offered and, when the server picks username/password, the
 * RFC 1929 request and the SOCKS request go together. The whole exchange is bounded by
 * `timeoutMs`. On success the socket is paused with nothing consumed beyond the reply: bytes
 * the destination sent in the same segment are unshifted back.
 */
export function socksHandshake(spec: SocksProfileSpec, cmd: number, dst: Destination, timeoutMs: number, signal?: AbortSignal): Promise<SocksHandshake> {
  const server = formatHostPort(spec.host, spec.port);
  const target = formatHostPort(dst.host, dst.port);
  const what = `${target} via SOCKS5 ${server}`;
  return new Promise<SocksHandshake>((resolve, reject) => {
    let request: Buffer;
    try {
      request = encodeRequest(cmd, dst.host, dst.port);
    } catch (err) {
      reject(err);
      return;
    }
    if (signal?.aborted) {
      reject(new CoreError('E_DIAL_FAILED', `connect ${what} aborted`, { cause: signal.reason }));
      return;
    }
    const creds = spec.username !== undefined && spec.password !== undefined;
    const socket = net.connect({ host: spec.host, port: spec.port, allowHalfOpen: true, noDelay: true });
    let phase: 'connect' | 'method' | 'auth' | 'reply' = 'connect';
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new CoreError('E_DIAL_TIMEOUT', `connect ${what}: ${phase === 'connect' ? 'connect' : 'handshake'} timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(new CoreError('E_DIAL_FAILED', `connect ${what} aborted`, { cause: signal?.reason }));

    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('end', onClose);
    };
    function fail(err: CoreError) {
      cleanup();
      socket.destroy();
      reject(err);
    }
    function onError(err: Error) {
      const e = dialError(err, spec.host, spec.port);
      fail(new CoreError(e.code, phase === 'connect' ? `connect ${what}: cannot reach the SOCKS5 server (${e.message})` : `connect ${what}: ${err.message} during the handshake`, { cause: err }));
    }
    function onClose() {
      fail(new CoreError('E_PROTO_BAD_HANDSHAKE', `connect ${what}: the SOCKS5 server closed the connection during the handshake`));
    }
    function onConnect() {
      phase = 'method';
      socket.write(creds ? encodeGreeting([METHOD_NO_AUTH, METHOD_USER_PASS]) : Buffer.concat([encodeGreeting([METHOD_NO_AUTH]), request]));
    }
    function onData(chunk: Buffer) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (phase === 'method') {
          const r = parseMethodSelection(buf);
          if (r.kind === 'incomplete') return;
          if (r.kind === 'invalid') return fail(new CoreError('E_PROTO_BAD_HANDSHAKE', `connect ${what}: ${r.reason}`));
          buf = buf.subarray(r.end);
          if (r.method === METHOD_NO_ACCEPTABLE) {
            return fail(creds
              ? new CoreError('E_AUTH_FAILED', `connect ${what}: the server accepts neither no authentication nor username/password`)
              : new CoreError('E_AUTH_REQUIRED', `connect ${what}: the server requires authentication (set a username and password)`));
          }
          if (r.method === METHOD_USER_PASS && creds) {
            socket.write(Buffer.concat([encodeAuthRequest(spec.username!, spec.password!), request]));
            phase = 'auth';
          } else if (r.method === METHOD_NO_AUTH) {
            if (creds) socket.write(request);
            phase = 'reply';
          } else {
            return fail(new CoreError('E_PROTO_BAD_HANDSHAKE', `connect ${what}: the server chose method 0x${r.method.toString(16).padStart(2, '0')}, which was not offered`));
          }
        } else if (phase === 'auth') {
          const r = parseAuthStatus(buf);
          if (r.kind === 'incomplete') return;
          if (r.kind === 'invalid') return fail(new CoreError('E_PROTO_BAD_HANDSHAKE', `connect ${what}: ${r.reason}`));
          if (r.status !== AUTH_SUCCESS) return fail(new CoreError('E_AUTH_FAILED', `connect ${what}: username/password rejected`));
          buf = buf.subarray(r.end);
          phase = 'reply';
        } else {
          const r = parseReply(buf);
          if (r.kind === 'incomplete') return;
          if (r.kind === 'invalid') return fail(new CoreError('E_PROTO_BAD_HANDSHAKE', `connect ${what}: ${r.reason}`));
          if (r.rep !== REP_SUCCEEDED) {
            const [code, why] = replyError(r.rep);
            return fail(new CoreError(code, `connect ${what}: ${why} (reply 0x${r.rep.toString(16).padStart(2, '0')})`));
          }
          cleanup();
          socket.pause();
          const rest = buf.subarray(r.end);
          if (rest.length > 0) socket.unshift(rest);
          // Like direct: a reset before the caller wires the socket up must not crash the process.
          socket.on('error', () => undefined);
          resolve({ socket, bind: r.bind });
          return;
        }
      }
    }

    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', onConnect);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    // allowHalfOpen: the server's FIN alone does not close the socket.
    socket.on('end', onClose);
  });
}

/** The E_* code and wording for a SOCKS5 reply code (RFC 1928 §6). */
export function replyError(rep: number): [ErrorCode, string] {
  switch (rep) {
    case REP_GENERAL_FAILURE:
      return ['E_DIAL_FAILED', 'general SOCKS server failure'];
    case REP_NOT_ALLOWED:
      return ['E_DIAL_FAILED', 'upstream refused by ruleset'];
    case REP_NETWORK_UNREACHABLE:
      return ['E_DIAL_NETWORK', 'network unreachable'];
    case REP_HOST_UNREACHABLE:
      return ['E_DIAL_UNREACHABLE', 'host unreachable'];
    case REP_CONNECTION_REFUSED:
      return ['E_DIAL_REFUSED', 'connection refused'];
    case REP_TTL_EXPIRED:
      return ['E_DIAL_TIMEOUT', 'TTL expired (the upstream timed out)'];
    case REP_COMMAND_NOT_SUPPORTED:
      return ['E_PROTO_UNSUPPORTED', 'command not supported by the server'];
    case REP_ADDRESS_TYPE_NOT_SUPPORTED:
      return ['E_PROTO_UNSUPPORTED', 'address type not supported by the server'];
    default:
      return ['E_DIAL_FAILED', 'unknown SOCKS5 reply'];
  }
}
