import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import type { ConnMeta, Destination, UdpConn } from '../adapter';
import { formatHostPort } from '../common/net';
import type { Logger } from '../log/logger';

/** Datagrams held per host while its name is being looked up; more are dropped. */
const MAX_WAITING = 64;
/** How long a looked-up name is reused by one conversation. */
const NAME_TTL_MS = 60_000;

type Resolved = { address: string; family: 4 | 6; expires: number };

/**
 * A direct UDP conversation: one unconnected dgram socket per address family, opened on the
 * first datagram of that family; domain destinations are looked up once (dns.lookup) and cached
 * for this conversation. Send failures are dropped with a debug note.
 */
export function createDirectUdpConn(meta: ConnMeta, log?: Logger): UdpConn {
  const sockets: { 4?: dgram.Socket; 6?: dgram.Socket } = {};
  const names = new Map<string, Resolved>();
  const waiting = new Map<string, { payload: Buffer; port: number }[]>();
  let handler: ((payload: Buffer, from: Destination) => void) | null = null;
  let closed = false;

  const drop = (to: Destination, why: string) => {
    if (log?.enabled('debug')) log.debug(`udp ${meta.id} → ${formatHostPort(to.host, to.port)} dropped: ${why}`);
  };

  const socketFor = (family: 4 | 6): dgram.Socket => {
    let s = sockets[family];
    if (s) return s;
    s = sockets[family] = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    s.on('message', (msg, rinfo) => handler?.(msg, { host: rinfo.address, port: rinfo.port }));
    s.on('error', (err) => {
      if (log?.enabled('debug')) log.debug(`udp ${meta.id} socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
    return s;
  };

  const sendTo = (payload: Buffer, address: string, family: 4 | 6, port: number, to: Destination) => {
    socketFor(family).send(payload, port, address, (err) => {
      if (err) drop(to, (err as NodeJS.ErrnoException).code ?? err.message);
    });
  };

  const lookup = (host: string) => {
    dns.lookup(host, (err, address, family) => {
      const queue = waiting.get(host) ?? [];
      waiting.delete(host);
      if (closed) return;
      if (err) {
        for (const d of queue) drop({ host, port: d.port }, `lookup failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        return;
      }
      const fam = family === 6 ? 6 : 4;
      names.set(host, { address, family: fam, expires: Date.now() + NAME_TTL_MS });
      for (const d of queue) sendTo(d.payload, address, fam, d.port, { host, port: d.port });
    });
  };

  return {
    send(payload, to) {
      if (closed) return;
      const fam = isIP(to.host);
      if (fam !== 0) {
        sendTo(payload, to.host, fam as 4 | 6, to.port, to);
        return;
      }
      const known = names.get(to.host);
      if (known && known.expires > Date.now()) {
        sendTo(payload, known.address, known.family, to.port, to);
        return;
      }
      const queue = waiting.get(to.host);
      if (queue) {
        if (queue.length < MAX_WAITING) queue.push({ payload, port: to.port });
        else drop(to, 'too many datagrams waiting for the name lookup');
        return;
      }
      waiting.set(to.host, [{ payload, port: to.port }]);
      lookup(to.host);
    },
    onMessage(h) {
      handler = h;
    },
    close() {
      if (closed) return;
      closed = true;
      handler = null;
      waiting.clear();
      sockets[4]?.close();
      sockets[6]?.close();
    },
  };
}
