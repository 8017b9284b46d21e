import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { ConnMeta, Destination, UdpAssociation } from '../../adapter';
import { unmapIPv4 } from '../../codec/address';
import { REP_GENERAL_FAILURE, REP_SUCCEEDED, encodeReply, encodeUdpHeader, parseUdpDatagram } from '../../codec/socks5';
import { formatHostPort } from '../../common/net';
import { closeWithReply, type Handshake } from './handshake';

/** Probes for a control connection whose client vanished without a FIN. */
const KEEPALIVE_MS = 30_000;

/**
 * Serves a UDP ASSOCIATE (RFC 1928 §7): binds a UDP socket on the address the client reached the
 * TCP listener at (port 0), replies with it, and relays datagrams through ctx.relay.udp. Only
 * datagrams from the client's IP are accepted, and only from one port: the one named in the
 * request, or else the first one seen. The association ends with the control connection.
 */
export function startUdpAssociation(hs: Handshake, requested: Destination, user: string | null): void {
  const { socket, env } = hs;
  const { ctx } = env;
  const localIp = unmapIPv4(socket.localAddress ?? '');
  const clientIp = unmapIPv4(socket.remoteAddress ?? '');
  const family = isIP(localIp) === 6 ? 'udp6' : 'udp4';
  let clientPort = requested.port;
  const meta: ConnMeta = {
    id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'socks5', network: 'udp',
    source: hs.source(), destination: requested, user,
  };
  const log = ctx.log;
  const udp = dgram.createSocket({ type: family });
  let association: UdpAssociation | null = null;
  let ended = false;

  const end = (why: string) => {
    if (ended) return;
    ended = true;
    env.udpAssociations.delete(closeAll);
    association?.close();
    closeQuietly(udp);
    socket.destroy();
    if (log.enabled('debug')) log.debug(`udp ${meta.id} association ended (${why})`);
  };
  const closeAll = () => end('inbound closed');
  env.udpAssociations.add(closeAll);

  udp.on('error', (err) => {
    if (ended) return;
    if (association === null) {
      log.warn(`udp ${meta.id}: cannot bind ${formatHostPort(localIp, 0)}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      ended = true;
      env.udpAssociations.delete(closeAll);
      closeQuietly(udp);
      closeWithReply(socket, encodeReply(REP_GENERAL_FAILURE));
      return;
    }
    if (log.enabled('debug')) log.debug(`udp ${meta.id} socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
  });

  udp.on('message', (msg, rinfo) => {
    if (association === null || unmapIPv4(rinfo.address) !== clientIp) return drop('from a stranger', rinfo.address, rinfo.port);
    if (clientPort === 0) clientPort = rinfo.port;
    else if (rinfo.port !== clientPort) return drop('from another port of the client', rinfo.address, rinfo.port);
    const d = parseUdpDatagram(msg);
    if (d.kind === 'invalid') return drop(d.reason, rinfo.address, rinfo.port);
    association.send(d.payload, d.dst);
  });

  const onReply = (payload: Buffer, from: Destination) => {
    if (ended || clientPort === 0) return;
    let header: Buffer;
    try {
      header = encodeUdpHeader(from);
    } catch {
      return drop('reply sender cannot be encoded', from.host, from.port);
    }
    udp.send([header, payload], clientPort, clientIp);
  };

  const drop = (why: string, host: string, port: number) => {
    if (log.enabled('debug')) log.debug(`udp ${meta.id} datagram ${formatHostPort(host, port)} dropped: ${why}`);
  };

  udp.bind({ address: localIp, port: 0 }, () => {
    if (ended) return;
    if (socket.destroyed) return end('client closed');
    association = ctx.relay.udp(meta, onReply, { idleTimeoutMs: env.spec.udpIdleTimeoutMs });
    const bound = udp.address();
    socket.write(encodeReply(REP_SUCCEEDED, { host: bound.address, port: bound.port }));
    if (log.enabled('debug')) log.debug(`udp ${meta.id} association for ${clientIp} on ${formatHostPort(bound.address, bound.port)}`);
  });

  // The control connection carries nothing more; its end is the association's end.
  socket.setKeepAlive(true, KEEPALIVE_MS);
  socket.on('data', () => undefined);
  socket.once('end', () => end('control connection ended'));
  socket.once('close', () => end('control connection closed'));
  socket.resume();
}

function closeQuietly(udp: dgram.Socket): void {
  try {
    udp.close();
  } catch {
    // Already closed (a failed bind can leave it so).
  }
}
