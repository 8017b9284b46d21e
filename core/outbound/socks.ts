import type { ConnMeta, Outbound, UdpConn } from '../adapter';
import { CMD_CONNECT } from '../codec/socks5';
import { formatHostPort } from '../common/net';
import type { Logger } from '../log/logger';
import { CoreError, type SocksProfileSpec } from '../rpc';
import { socksHandshake } from './socks-handshake';
import { openSocksUdp } from './socks-udp';

export interface SocksOutboundOptions {
  log: Logger;
  /** Give up when connecting and the handshake take longer (E_DIAL_TIMEOUT). @default 10000 */
  connectTimeoutMs?: number;
}

/**
 * An upstream SOCKS5 proxy as an outbound (chaining): no authentication, or RFC 1929
 * username/password when the spec has them. dialTcp sends CONNECT for the destination as it is
 * (domains are resolved by the upstream) and resolves with the raw net.Socket once the server
 * replied success: allowHalfOpen, noDelay, paused, nothing of the destination's bytes consumed,
 * so the relay (and its native splice path) takes it as if it had been dialed directly.
 * Failures reject with the E_DIAL_* code the reply means (see replyError), E_AUTH_REQUIRED /
 * E_AUTH_FAILED for authentication, E_PROTO_BAD_HANDSHAKE for a server that is not SOCKS5.
 * openUdp uses UDP ASSOCIATE (E_PROTO_UNSUPPORTED when the spec has `udp: false`).
 */
export function createSocksOutbound(tag: string, spec: SocksProfileSpec, opts: SocksOutboundOptions): Outbound {
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  const { log } = opts;
  return {
    tag,
    type: 'socks',
    async dialTcp(meta: ConnMeta, signal?: AbortSignal) {
      const { socket } = await socksHandshake(spec, CMD_CONNECT, meta.destination, timeoutMs, signal);
      return socket;
    },
    async openUdp(meta: ConnMeta): Promise<UdpConn> {
      if (!spec.udp) {
        throw new CoreError('E_PROTO_UNSUPPORTED', `UDP is turned off for the SOCKS5 profile ${tag} (${formatHostPort(spec.host, spec.port)})`);
      }
      return openSocksUdp(spec, meta, { timeoutMs, log });
    },
  };
}
