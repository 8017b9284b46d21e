import type { Socket } from 'node:net';
import type { AdoptedConn, ConnMeta, Destination, Relay, RelayOptions, RouteDecision, Router, StatsSink, TrackedConn, UdpAssociation } from '../adapter';
import type { Logger } from '../log/logger';
import { IdleSweeper } from './idle-sweeper';
import { LinkedList, type ListNode } from './linked-list';
import { nativeAvailable } from './splice';
import { TcpSession, type TcpSessionHooks } from './tcp-session';
import type { RelayTracked } from './tracked';
import { UdpNat } from './udp-nat';

export interface RelayDeps {
  /** Routes each datagram of UDP associations. */
  router: Router;
  /** The only place bytes are reported: opened/closed per TrackedConn, sampled by the collector. */
  stats: StatsSink;
  log: Logger;
}

/** The engine's relay, plus what the engine needs to shut it down. */
export interface EngineRelay extends Relay {
  /** Tracked connections still open (TCP sessions, tracked sockets, UDP NAT entries). */
  activeCount(): number;
  /** Closes every connection and UDP association (engine shutdown). */
  closeAll(reason: string): void;
}

/**
 * The data path shared by every inbound. TCP starts on the lean JS relay and moves to the native
 * splice relay once a connection carries real volume, when the addon is available and
 * `RELAYDESK_NATIVE` is not "0" (read at the first TCP relay; see TcpSession); UDP associations go
 * through a NAT table (see UdpNat). One sweeper runs every idle timeout on the JS side.
 */
export function createRelay(deps: RelayDeps): EngineRelay {
  const { stats, log } = deps;
  const open = new LinkedList<RelayTracked>();
  const associations = new Set<UdpAssociation>();
  const sweeper = new IdleSweeper();
  let tcpHooks: TcpSessionHooks | null = null;

  const opened = (conn: RelayTracked) => {
    conn.relayNode = open.add(conn);
    stats.opened(conn);
  };
  const closed = (conn: RelayTracked) => {
    const node = conn.relayNode;
    if (node === null || !open.remove(node)) return;
    conn.relayNode = null;
    stats.closed(conn);
  };

  return {
    tcp(meta: ConnMeta, decision: RouteDecision, client: Socket, remote: Socket, opts: RelayOptions, head?: Buffer): void {
      tcpHooks ??= { log, native: nativeAvailable(), sweeper, onClosed: closed };
      const session = new TcpSession(meta, decision, client, remote, opts, tcpHooks);
      opened(session);
      session.start(head);
    },

    track(meta: ConnMeta, decision: RouteDecision, remote: Socket): void {
      const conn = new TrackedSocket(meta, decision, remote, closed);
      opened(conn);
      if (remote.destroyed) conn.ended();
      else remote.once('close', () => conn.ended());
    },

    adopt(meta: ConnMeta, decision: RouteDecision, conn: AdoptedConn): (final: [number, number]) => void {
      const tracked: RelayTracked & { final: [number, number] | null } = {
        relayNode: null, meta, rule: decision.rule, outbound: decision.outbound.tag, startedAt: Date.now(), final: null,
        sample: () => tracked.final ?? conn.sample(),
        close: (reason) => conn.close(reason),
      };
      opened(tracked);
      return (final) => {
        if (tracked.final) return;
        tracked.final = final;
        closed(tracked);
      };
    },

    udp(meta: ConnMeta, onReply: (payload: Buffer, from: Destination) => void, opts: RelayOptions): UdpAssociation {
      const nat = new UdpNat(meta, onReply, opts, { router: deps.router, log, sweeper, opened, closed });
      const association: UdpAssociation = {
        send: (payload, to) => nat.send(payload, to),
        close: () => {
          associations.delete(association);
          nat.close();
        },
      };
      associations.add(association);
      return association;
    },

    activeCount: () => open.size,

    closeAll(reason: string): void {
      for (const a of [...associations]) a.close();
      for (const conn of open.toArray()) conn.close(reason);
    },
  };
}

/** A socket the inbound drives itself (plain HTTP via node:http); bytes come from its counters. */
class TrackedSocket implements RelayTracked {
  relayNode: ListNode<RelayTracked> | null = null;
  readonly rule: string;
  readonly outbound: string;
  readonly startedAt = Date.now();
  private readonly baseUp: number;
  private readonly baseDown: number;
  private final: [number, number] | null = null;

  constructor(readonly meta: ConnMeta, decision: RouteDecision, private readonly remote: Socket, private readonly onClosed: (c: RelayTracked) => void) {
    this.rule = decision.rule;
    this.outbound = decision.outbound.tag;
    this.baseUp = remote.bytesWritten ?? 0;
    this.baseDown = (remote.bytesRead ?? 0) - remote.readableLength;
  }

  sample(): [up: number, down: number] {
    return this.final ?? [(this.remote.bytesWritten ?? 0) - this.baseUp, this.remote.bytesRead - this.baseDown];
  }

  close(_reason: string): void {
    this.remote.destroy();
    this.ended();
  }

  ended(): void {
    if (this.final) return;
    this.final = this.sample();
    this.onClosed(this);
  }
}
