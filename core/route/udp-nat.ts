import type { ConnMeta, Destination, RelayOptions, RouteDecision, Router, UdpAssociation, UdpConn } from '../adapter';
import { formatHostPort } from '../common/net';
import type { Logger } from '../log/logger';
import { isCoreError } from '../rpc';
import type { IdleSweeper, Sweepable } from './idle-sweeper';
import type { ListNode } from './linked-list';
import type { RelayTracked } from './tracked';

/** Datagrams held per entry while its outbound conversation opens; more are dropped. */
const MAX_PENDING = 64;

export interface UdpNatHooks {
  router: Router;
  log: Logger;
  /** Expires idle NAT entries: at most idleTimeoutMs + the sweep period without traffic. */
  sweeper: IdleSweeper;
  /** A NAT entry's conversation opened (report stats.opened). */
  opened(entry: RelayTracked): void;
  /** A NAT entry ended (report stats.closed). */
  closed(entry: RelayTracked): void;
}
/** One NAT entry: the association's conversation through one outbound, and its TrackedConn. */
class NatEntry implements RelayTracked {
  readonly startedAt = Date.now();
  relayNode: ListNode<RelayTracked> | null = null;
  up = 0;
  down = 0;
  lastActive = Date.now();
  conn: UdpConn | null = null;
  pending: { payload: Buffer; to: Destination }[] | null = [];
  opened = false;
  ended = false;

  constructor(readonly meta: ConnMeta, readonly rule: string, readonly outbound: string, private readonly nat: UdpNat) {}

  sample(): [up: number, down: number] {
    return [this.up, this.down];
  }

  close(reason: string): void {
    this.nat.drop(this, reason);
  }
}

/**
 * A client's UDP association: routes each datagram by its destination, keeps one outbound UDP
 * conversation per outbound tag (opened lazily, expired after idleTimeoutMs without traffic
 * either way) and counts datagram payload bytes per entry.
 */
export class UdpNat implements UdpAssociation {
  readonly idleTimeoutMs: number;
  private readonly sweepNode: ListNode<Sweepable>;
  private readonly entries = new Map<string, NatEntry>();
  private closed = false;
  private seq = 0;

  constructor(
    private readonly meta: ConnMeta,
    private readonly onReply: (payload: Buffer, from: Destination) => void,
    opts: RelayOptions,
    private readonly hooks: UdpNatHooks,
  ) {
    this.idleTimeoutMs = opts.idleTimeoutMs;
    this.sweepNode = hooks.sweeper.add(this);
  }

  send(payload: Buffer, to: Destination): void {
    if (this.closed) return;
    const meta: ConnMeta = { ...this.meta, network: 'udp', destination: to };
    this.hooks.router.route(meta).then(
      (decision) => this.dispatch(decision, meta, payload, to),
      (err) => this.dropDatagram(to, (err as Error).message),
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.entries.values()]) this.drop(entry, 'association closed');
    this.hooks.sweeper.delete(this.sweepNode);
  }

  /** Live NAT entries (for tests and diagnostics). */
  size(): number {
    return this.entries.size;
  }

  /** Called by the sweeper: ends entries idle for longer than idleTimeoutMs. */
  sweep(now: number): void {
    for (const entry of this.entries.values()) {
      if (now - entry.lastActive > this.idleTimeoutMs) this.drop(entry, 'idle timeout');
    }
  }

  /** Ends one entry; the next datagram routed to its outbound opens a new one. Idempotent. */
  drop(entry: NatEntry, reason: string): void {
    if (entry.ended) return;
    entry.ended = true;
    entry.pending = null;
    if (this.entries.get(entry.outbound) === entry) this.entries.delete(entry.outbound);
    entry.conn?.close();
    if (this.hooks.log.enabled('debug')) this.hooks.log.debug(`udp ${entry.meta.id} closed (${reason}), up ${entry.up} down ${entry.down}`);
    if (entry.opened) this.hooks.closed(entry);
  }

  private dispatch(decision: RouteDecision, meta: ConnMeta, payload: Buffer, to: Destination): void {
    if (this.closed) return;
    const tag = decision.outbound.tag;
    let entry = this.entries.get(tag);
    if (entry === undefined) {
      entry = new NatEntry({ ...meta, id: `${this.meta.id}.${++this.seq}` }, decision.rule, tag, this);
      this.entries.set(tag, entry);
      this.open(entry, decision, meta);
    }
    entry.lastActive = Date.now();
    if (entry.conn) {
      entry.up += payload.length;
      entry.conn.send(payload, to);
    } else if (entry.pending && entry.pending.length < MAX_PENDING) {
      entry.pending.push({ payload, to });
    } else {
      this.dropDatagram(to, 'too many datagrams waiting for the outbound');
    }
  }

  private open(entry: NatEntry, decision: RouteDecision, meta: ConnMeta): void {
    decision.outbound.openUdp(meta).then(
      (conn) => {
        if (entry.ended) {
          conn.close();
          return;
        }
        entry.conn = conn;
        entry.opened = true;
        conn.onMessage((payload, from) => {
          if (entry.ended) return;
          entry.down += payload.length;
          entry.lastActive = Date.now();
          try {
            this.onReply(payload, from);
          } catch (err) {
            this.hooks.log.warn(`udp ${entry.meta.id} reply handler failed: ${(err as Error).message}`);
          }
        });
        this.hooks.opened(entry);
        const pending = entry.pending ?? [];
        entry.pending = null;
        for (const d of pending) {
          entry.up += d.payload.length;
          conn.send(d.payload, d.to);
        }
      },
      (err) => {
        const blocked = isCoreError(err, 'E_ROUTE_BLOCKED');
        for (const d of entry.pending ?? []) this.dropDatagram(d.to, blocked ? `blocked by ${decision.rule}` : (err as Error).message);
        this.drop(entry, blocked ? 'blocked' : 'open failed');
      },
    );
  }

  private dropDatagram(to: Destination, why: string): void {
    const log = this.hooks.log;
    if (log.enabled('debug')) log.debug(`udp ${this.meta.id} → ${formatHostPort(to.host, to.port)} dropped: ${why}`);
  }
}
