import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { ConnMeta, Destination, UdpConn } from '../adapter';
import { unmapIPv4 } from '../codec/address';
import { CMD_UDP_ASSOCIATE, encodeUdpHeader, parseUdpDatagram } from '../codec/socks5';
import { formatHostPort } from '../common/net';
import type { Logger } from '../log/logger';
import { CoreError, type SocksProfileSpec } from '../rpc';
import { socksHandshake } from './socks-handshake';

/** Probes for an upstream that vanished without a FIN while the association is idle. */
const KEEPALIVE_MS = 30_000;

/**
 * One UDP conversation through a SOCKS5 server (RFC 1928 §7): UDP ASSOCIATE on a control
 * connection (DST 0.0.0.0:0: the server takes the port our first datagram comes from), then
 * datagrams with the SOCKS UDP header to the relay address the server named (the server's own
 * address when it answered with an unspecified one). The UDP socket is bound on the control
 * connection's local address so the server sees the same client IP. The conversation ends with
 * close() or with the control connection; datagrams from anyone but the relay are dropped.
 */
export async function openSocksUdp(spec: SocksProfileSpec, meta: ConnMeta, opts: { timeoutMs: number; log: Logger }): Promise<UdpConn> {
  const { log } = opts;
  const { socket: control, bind } = await socksHandshake(spec, CMD_UDP_ASSOCIATE, { host: '0.0.0.0', port: 0 }, opts.timeoutMs);
  const serverIp = unmapIPv4(control.remoteAddress ?? spec.host);
  const localIp = unmapIPv4(control.localAddress ?? '');
  const bound = unmapIPv4(bind.host);
  const relayHost = bound === '0.0.0.0' || bound === '::' ? serverIp : bound;
  const relayPort = bind.port;
  const family = isIP(relayHost) === 6 ? 6 : 4;
  if (isIP(relayHost) === 0 || relayPort === 0) {
    control.destroy();
    throw new CoreError('E_PROTO_BAD_HANDSHAKE', `UDP ASSOCIATE via SOCKS5 ${formatHostPort(spec.host, spec.port)}: unusable relay address ${formatHostPort(bind.host, bind.port)}`);
  }

  const udp = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  let handler: ((payload: Buffer, from: Destination) => void) | null = null;
  let closed = false;
  const debug = (message: string) => {
    if (log.enabled('debug')) log.debug(`udp ${meta.id} via SOCKS5 ${formatHostPort(spec.host, spec.port)}: ${message}`);
  };
  const close = () => {
    if (closed) return;
    closed = true;
    handler = null;
    try {
      udp.close();
    } catch {
      // Already closed (a failed bind).
    }
    control.destroy();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: isIP(localIp) === family ? localIp : undefined, port: 0 }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    close();
    throw new CoreError('E_DIAL_FAILED', `UDP ASSOCIATE via SOCKS5 ${formatHostPort(spec.host, spec.port)}: cannot bind a UDP socket: ${(err as Error).message}`, { cause: err });
  }

  udp.on('error', (err) => debug(`socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  udp.on('message', (msg, rinfo) => {
    if (unmapIPv4(rinfo.address) !== relayHost || rinfo.port !== relayPort) return debug(`datagram from stranger ${formatHostPort(rinfo.address, rinfo.port)} dropped`);
    const d = parseUdpDatagram(msg);
    if (d.kind === 'invalid') return debug(`reply dropped: ${d.reason}`);
    handler?.(d.payload, d.dst);
  });
  // The control connection carries nothing more; its end is the association's end.
  control.setKeepAlive(true, KEEPALIVE_MS);
  control.on('data', () => undefined);
  control.once('end', () => { debug('control connection ended'); close(); });
  control.once('close', close);
  control.resume();

  return {
    send(payload, to) {
      if (closed) return;
      let header: Buffer;
      try {
        header = encodeUdpHeader(to);
      } catch {
        return debug(`${formatHostPort(to.host, to.port)} cannot be sent as a SOCKS address; dropped`);
      }
      udp.send([header, payload], relayPort, relayHost, (err) => {
        if (err) debug(`send to ${formatHostPort(to.host, to.port)} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      });
    },
    onMessage(h) {
      handler = h;
    },
    close,
  };
}
