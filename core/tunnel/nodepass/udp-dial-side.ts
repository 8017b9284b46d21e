import type { Socket } from 'node:net';
import type { ConnMeta, UdpConn } from '../../adapter';
import type { PoolRegistry } from './pool';
import type { ForwardEnv } from './tcp-forward';
import { DatagramDeframer, frameDatagram } from './udp-frames';
import { type UdpSession, UdpSessionTable } from './udp-sessions';
import { parseRemote } from './targets';

interface DialUdpSession extends UdpSession {
  pool: Socket;
  conn: UdpConn | null;
}

/**
 * The dialing side's UDP sessions: for each `udp` signal, the announced pool connection carries
 * length-framed datagrams (udp-frames) to a direct UDP conversation with a target and back; a
 * session ends when its pool connection closes or after 30 s idle.
 */
export class DialSideUdp {
  private readonly sessions: UdpSessionTable<DialUdpSession>;

  constructor(private readonly env: ForwardEnv, private readonly pool: PoolRegistry, private readonly waitMs: number) {
    this.sessions = new UdpSessionTable(() => env.counters.release('udp'));
  }

  open(id: string, remote: string): void {
    const { ctx, counters, dialer } = this.env;
    void this.pool.takeId(id, this.waitMs).then(async (sock) => {
      if (sock === null) return ctx.log.warn(`udp ${remote}: pool connection ${id} not found`);
      sock.on('error', () => {});
      if (!counters.admit('udp')) return void sock.destroy();
      const s: DialUdpSession = { lastActive: Date.now(), pool: sock, conn: null, close: () => { sock.destroy(); s.conn?.close(); } };
      this.sessions.add(id, s);
      sock.once('close', () => this.sessions.remove(id, s));
      const meta: ConnMeta = {
        id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: this.env.inbound, network: 'udp',
        source: parseRemote(remote), destination: dialer.pick(), user: null,
      };
      let conn: UdpConn;
      try {
        conn = await dialer.decision.outbound.openUdp(meta);
      } catch (err) {
        ctx.log.warn(`udp ${remote}: ${(err as Error).message}`);
        return this.sessions.remove(id, s);
      }
      if (this.sessions.get(id) !== s) return conn.close();
      s.conn = conn;
      conn.onMessage((payload) => {
        s.lastActive = Date.now();
        counters.udptx += payload.length;
        const f = frameDatagram(payload);
        if (f) sock.write(f);
      });
      const deframer = new DatagramDeframer();
      sock.on('data', (chunk: Buffer) => deframer.push(chunk, (d) => {
        s.lastActive = Date.now();
        counters.udprx += d.length;
        conn.send(Buffer.from(d), meta.destination);
      }));
      sock.resume();
    });
  }

  close(): void {
    this.sessions.closeAll();
  }
}
