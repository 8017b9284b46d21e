import { isIP, type Socket } from 'node:net';
import type { ConnMeta, Outbound, UdpConn } from '../../adapter';
import { addressFromHost, encodeRequest, parseUuid } from '../../codec/vless';
import type { Logger } from '../../log/logger';
import { DeadlineQueue } from '../../route/deadline-queue';
import { CoreError, type VlessProfileSpec } from '../../rpc';
import { normalizePin, type TlsClientOptions } from '../../transport/tls';
import { dialVless, type VlessDialer } from './dial';
import { VlessUdpConn } from './udp';

export { VlessStream } from './stream';
export { VlessTcpSocket } from './tcp-socket';

/** How the native front dials a VLESS server over TCP or WebSocket, TLS or not. */
export interface VlessNativePlan {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** The request header for the destination, sent first. */
  header: Buffer;
  /** TLS to the server (its options as the JS dial takes them), or null for plain TCP. */
  tls: TlsClientOptions | null;
  /** A WebSocket upgrade after connecting (after TLS when `tls` is set too), or null. */
  ws: { path: string; hostHeader: string; url: string } | null;
}

/** A VLESS outbound the native front can dial itself (TCP or WebSocket, TLS or not). */
export interface VlessNativeOutbound extends Outbound {
  readonly type: 'vless';
  /** Server, connect timeout, request header, TLS and WebSocket for `meta`, or null (the JS dial words what is wrong). */
  nativeTcp(meta: ConnMeta): VlessNativePlan | null;
}

/** Whether `o` is a VLESS outbound that can hand its TCP dials to the native front. */
export function isVlessNativeOutbound(o: Outbound): o is VlessNativeOutbound {
  return o.type === 'vless' && typeof (o as Partial<VlessNativeOutbound>).nativeTcp === 'function';
}

export interface VlessOutboundOptions {
  log: Logger;
  /** Give up reaching the server (TCP, TLS and WebSocket handshakes together) after this long (E_DIAL_TIMEOUT). @default 10000 */
  connectTimeoutMs?: number;
}

/**
 * The "vless" outbound for a saved profile (PROTOCOLS.md §5.5): VLESS v0 without flow over TCP,
 * TLS (SNI, ALPN, insecure, certificate pin) or WebSocket (path, Host header; over TLS or not).
 *
 * dialTcp resolves once the transport is up and the request header is sent, without waiting for
 * the response header: v2ray/Xray send it only with the destination's first bytes, which for most
 * protocols follow the client's first bytes. So a refused request (wrong UUID) shows up as the
 * returned socket failing — an 'error' with a CoreError "... closed the connection before
 * replying — wrong UUID ...?" (also logged at info) — not as a rejected dial. Over plain TCP the
 * socket is a real net.Socket (VlessTcpSocket) that the native splice relay can take over once the
 * response header is stripped; over TLS/WS it is a VlessStream (a Duplex standing in for a Socket).
 *
 * openUdp: one VLESS connection (command UDP) per destination; rejects with E_PROTO_UNSUPPORTED
 * when the profile has `udp: false`. close() stops the dial-deadline timer (dials still pending
 * then only end by themselves or their abort signal). Throws E_CONFIG_INVALID for a bad UUID or pin.
 */
export function createVlessOutbound(tag: string, spec: VlessProfileSpec, opts: VlessOutboundOptions): VlessNativeOutbound {
  const tls = spec.tls === null ? null : {
    sni: spec.tls.sni || undefined,
    alpn: spec.tls.alpn,
    insecure: spec.tls.insecure,
    pinSha256: spec.tls.pinSha256 === undefined ? undefined : normalizePin(spec.tls.pinSha256),
  };
  const dialer: VlessDialer = {
    tag, spec, tls,
    uuid: parseUuid(spec.uuid.replace(/-/g, '')),
    timeouts: new DeadlineQueue(opts.connectTimeoutMs ?? 10_000),
    log: opts.log,
  };
  return {
    tag,
    type: 'vless',
    dialTcp: (meta: ConnMeta, signal?: AbortSignal) => dialVless(dialer, 'tcp', meta.destination, signal) as Promise<Socket>,
    openUdp: async (meta: ConnMeta): Promise<UdpConn> => {
      if (!spec.udp) throw new CoreError('E_PROTO_UNSUPPORTED', `vless ${tag}: UDP is turned off for this profile`);
      return new VlessUdpConn((to) => dialVless(dialer, 'udp', to), opts.log, `vless ${tag} ${meta.id}`);
    },
    nativeTcp: (meta: ConnMeta) => {
      const { transport } = spec;
      const { host, port } = meta.destination;
      let header: Buffer;
      try {
        header = encodeRequest({ uuid: dialer.uuid, command: 'tcp', port, address: addressFromHost(host) });
      } catch {
        return null; // the JS dial reports what is wrong with the destination
      }
      const ws = transport.type === 'ws' ? wsTarget(spec.host, spec.port, transport.path, (transport.host ?? tls?.sni) || undefined, tls !== null) : null;
      if (ws !== null && /[\0-\x1f\x7f]/.test(ws.path + ws.hostHeader)) return null; // the JS dial words what is wrong
      return { host: spec.host, port: spec.port, connectTimeoutMs: dialer.timeouts.timeoutMs, header, tls, ws };
    },
    close: () => dialer.timeouts.clear(),
  };
}

/** The upgrade request's path and Host header as dialWs sends them, and the URL its errors name. */
function wsTarget(host: string, port: number, path: string, hostHeader: string | undefined, secure: boolean): { path: string; hostHeader: string; url: string } {
  const authority = isIP(host) === 6 ? `[${host}]` : host;
  const defaultPort = secure ? 443 : 80;
  return {
    path, hostHeader: hostHeader ?? (port === defaultPort ? authority : `${authority}:${port}`), url: `${secure ? 'wss' : 'ws'}://${authority}:${port}${path}`,
  };
}
