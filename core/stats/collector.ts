import type { StatsAccounting, StatsSink, TrackedConn } from '../adapter';
import type { Logger } from '../log/logger';
import { LinkedList, type ListNode } from '../route/linked-list';
import { formatHostPort, type Connection, type History, type HistoryRange, type StatsTick } from '../rpc';
import type { CounterValue, HistoryRow, Store } from '../store/store';
import { floorTo, historySeries, MINUTE_MS, secondBucket } from './rollup';
import { addPending, clearPending, countersRecord, newScope, settle, type LiveConn, type ScopeStats } from './scope';

export interface StatsCollectorOptions {
  store: Store;
  log: Logger;
  /** Tick period. @default 1000 */
  intervalMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

const TOTAL = 'total';

/** New bytes of one connection, as the counters get them (see StatsCollector.onInstanceBytes). */
export type ConnBytesListener = (conn: TrackedConn, up: number, down: number, closed: boolean) => void;

/**
 * The stats hook's other end. Once a tick it samples every live connection (the relay reports
 * nothing per chunk), turns the deltas into speeds per connection, instance, outbound and in total,
 * adds them to the persisted cumulative counters, and writes the tick's history rows and counters
 * in one transaction; once a minute it rolls history up and prunes it. A tick costs O(live
 * connections). Bytes a connection moved before it closed are counted in the next tick.
 */
export class StatsCollector implements StatsSink, StatsAccounting {
  private readonly store: Store;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly now: () => number;
  /**
   * Live connections: a linked list plus a WeakMap rather than a Map, since a Map with connections
   * coming and going keeps finished connections reachable from old space through the obsolete
   * tables V8 leaves behind on rehash (see LinkedList).
   */
  private readonly live = new LinkedList<LiveConn>();
  private readonly liveOf = new WeakMap<TrackedConn, ListNode<LiveConn>>();
  private readonly total: ScopeStats;
  private readonly instances = new Map<string, ScopeStats>();
  private readonly outbounds = new Map<string, ScopeStats>();
  /** Counters changed since the last successful save. */
  private readonly dirty = new Map<string, CounterValue>();
  private readonly listeners = new Set<(tick: StatsTick) => void>();
  private readonly byteListeners = new Map<string, ConnBytesListener>();
  private readonly badByKind = new Map<string, number>();
  private badTotal = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastTickAt: number;
  private lastRollupMinute = -1;
  private persistFailing = false;
  private stopped = false;
  private last: StatsTick;

  constructor(opts: StatsCollectorOptions) {
    this.store = opts.store;
    this.log = opts.log;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
    const saved = this.store.counters.load();
    // Counters of deleted instances stay in the table (harmless) but are not shown.
    const known = new Set(this.store.instances.list().map((i) => i.id));
    this.total = newScope('', TOTAL, TOTAL, saved.get(TOTAL));
    for (const [scope, value] of saved) {
      if (scope.startsWith('instance:') && known.has(scope.slice(9))) this.instanceScope(scope.slice(9), value);
      else if (scope.startsWith('outbound:')) this.outboundScope(scope.slice(9), value);
    }
    this.lastTickAt = this.now();
    this.last = this.snapshot(this.lastTickAt);
  }

  /** Rolls up what a previous run left, then ticks every `intervalMs` (the timer is unref'd). */
  start(): void {
    if (this.timer || this.stopped) return;
    const now = this.now();
    this.lastTickAt = now;
    this.maintain(now);
    this.timer = setInterval(() => this.timerOnTick(), this.intervalMs);
    this.timer.unref();
  }

  /** A final tick (nothing sampled is lost), then the timer stops. Idempotent. */
  close(): void {
    if (this.stopped) return;
    this.tick();
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  /** Subscribes to ticks; returns the unsubscribe function. */
  onTick(fn: (tick: StatsTick) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  latest(): StatsTick {
    return this.last;
  }

  opened(conn: TrackedConn): void {
    if (this.liveOf.has(conn)) return;
    const instance = this.instanceScope(conn.meta.instanceId);
    const outbound = this.outboundScope(conn.outbound);
    instance.connections++;
    outbound.connections++;
    this.total.connections++;
    this.liveOf.set(conn, this.live.add({ conn, instance, outbound, up: 0, down: 0, upSpeed: 0, downSpeed: 0 }));
  }

  closed(conn: TrackedConn): void {
    const node = this.liveOf.get(conn);
    const [up, down] = conn.sample();
    if (!node) {
      // Never reported as opened: its bytes still count.
      this.addBytes(this.instanceScope(conn.meta.instanceId), this.outboundScope(conn.outbound), up, down);
      this.byteListeners.get(conn.meta.instanceId)?.(conn, up, down, true);
      return;
    }
    this.liveOf.delete(conn);
    this.live.remove(node);
    const e = node.value;
    e.instance.connections--;
    e.outbound.connections--;
    this.total.connections--;
    const du = Math.max(0, up - e.up);
    const dd = Math.max(0, down - e.down);
    this.addBytes(e.instance, e.outbound, du, dd);
    this.byteListeners.get(conn.meta.instanceId)?.(conn, du, dd, true);
  }

  badHandshake(_instanceId: string, kind: string): void {
    this.badTotal++;
    this.badByKind.set(kind, (this.badByKind.get(kind) ?? 0) + 1);
  }

  /**
   * Byte hook for accounting the collector does not do itself (per-user traffic of a VLESS relay):
   * `fn` gets the new bytes of each live connection of `instanceId` when a tick samples them
   * (only when some moved), and its last bytes when it closes (`closed` true, bytes possibly 0),
   * exactly the deltas the instance counters get. One listener per instance (a second one replaces
   * the first); returns the unsubscribe function.
   */
  onInstanceBytes(instanceId: string, fn: ConnBytesListener): () => void {
    this.byteListeners.set(instanceId, fn);
    return () => {
      if (this.byteListeners.get(instanceId) === fn) this.byteListeners.delete(instanceId);
    };
  }

  /**
   * Saved counters of scopes the collector does not keep itself, e.g. "user:<instance>:", by
   * prefix: the store's values overlaid with those `saveCounter` queued and not yet written.
   */
  loadCounters(prefix: string): Map<string, CounterValue> {
    const out = new Map<string, CounterValue>();
    for (const [scope, value] of this.store.counters.load()) if (scope.startsWith(prefix)) out.set(scope, value);
    for (const [scope, value] of this.dirty) if (scope.startsWith(prefix)) out.set(scope, { up: value.up, down: value.down });
    return out;
  }

  /**
   * Saves an outside counter with the next tick, in the same transaction as the collector's own.
   * `value` is read when saved (later changes to the same object are saved too); resetCounters
   * deletes it from the store like every other counter.
   */
  saveCounter(scope: string, value: CounterValue): void {
    this.dirty.set(scope, value);
  }

  /** Rejected handshakes since start, by kind. */
  badHandshakeCounts(): Record<string, number> {
    return Object.fromEntries(this.badByKind);
  }

  /** Live connections, optionally of one instance, with fresh byte counts and last-tick speeds. */
  connections(instanceId?: string): Connection[] {
    const out: Connection[] = [];
    for (const e of this.live) {
      const m = e.conn.meta;
      if (instanceId !== undefined && m.instanceId !== instanceId) continue;
      const [up, down] = e.conn.sample();
      out.push({
        id: m.id, instanceId: m.instanceId, network: m.network, inbound: m.inbound,
        source: formatHostPort(m.source.address, m.source.port),
        destination: formatHostPort(m.destination.host, m.destination.port),
        user: m.user, rule: e.conn.rule, outbound: e.conn.outbound,
        upload: up, download: down, uploadSpeed: e.upSpeed, downloadSpeed: e.downSpeed, startedAt: e.conn.startedAt,
      });
    }
    return out;
  }

  /** Closes one live connection; false if no live connection has this id. */
  closeConnection(id: string): boolean {
    for (const e of this.live) {
      if (e.conn.meta.id !== id) continue;
      e.conn.close('closed by user');
      return true;
    }
    return false;
  }

  /** Closes every live connection (of one instance); returns how many. */
  closeAll(instanceId?: string): number {
    const victims: TrackedConn[] = [];
    for (const e of this.live) {
      if (instanceId === undefined || e.conn.meta.instanceId === instanceId) victims.push(e.conn);
    }
    for (const c of victims) c.close(instanceId === undefined ? 'all connections closed' : `instance ${instanceId} connections closed`);
    return victims.length;
  }

  /**
   * Traffic history of "total" or "instance:<id>": one point per bucket over the whole range, zero
   * where nothing moved, up to the current (partial) bucket.
   */
  history(range: HistoryRange, scope: string): History {
    return historySeries((r, s, from, to) => this.store.history.query(r, s, from, to), range, scope, this.now());
  }

  /** Zeroes every cumulative counter, persisted and in memory; history is untouched. */
  resetCounters(): void {
    this.store.counters.reset();
    this.dirty.clear();
    for (const s of this.scopes()) {
      s.counter.up = 0;
      s.counter.down = 0;
    }
    this.last = this.snapshot(this.last.time);
  }

  /** One tick now (the timer calls this; tests drive it with an injected clock). */
  tick(): StatsTick {
    if (this.stopped) return this.last;
    const now = this.now();
    const elapsed = Math.max(1, now - this.lastTickAt);
    this.lastTickAt = now;
    for (const e of this.live) {
      const [up, down] = e.conn.sample();
      const du = up > e.up ? up - e.up : 0;
      const dd = down > e.down ? down - e.down : 0;
      if (du !== 0) e.up = up;
      if (dd !== 0) e.down = down;
      e.upSpeed = Math.round((du * 1000) / elapsed);
      e.downSpeed = Math.round((dd * 1000) / elapsed);
      if (du !== 0 || dd !== 0) {
        this.addBytes(e.instance, e.outbound, du, dd);
        if (this.byteListeners.size !== 0) this.byteListeners.get(e.instance.key)?.(e.conn, du, dd, false);
      }
    }
    const rows: HistoryRow[] = [];
    const ts = secondBucket(now);
    for (const s of this.scopes()) {
      if (!settle(s, elapsed)) continue;
      this.dirty.set(s.counterScope, s.counter);
      if (s.historyScope !== null) rows.push({ scope: s.historyScope, ts, up: s.pendingUp, down: s.pendingDown });
      clearPending(s);
    }
    this.persist(rows, now);
    this.last = this.snapshot(now);
    for (const fn of this.listeners) {
      try {
        fn(this.last);
      } catch (err) {
        this.log.error(`stats listener failed: ${(err as Error).message}`);
      }
    }
    return this.last;
  }

  private timerOnTick(): void {
    try {
      this.tick();
    } catch (err) {
      this.log.error(`stats tick failed: ${(err as Error).message}`);
    }
  }

  private addBytes(instance: ScopeStats, outbound: ScopeStats, up: number, down: number): void {
    addPending(instance, up, down);
    addPending(outbound, up, down);
    addPending(this.total, up, down);
  }

  private persist(rows: HistoryRow[], now: number): void {
    const minute = floorTo(now, MINUTE_MS);
    const maintain = minute !== this.lastRollupMinute;
    if (rows.length === 0 && this.dirty.size === 0 && !maintain) return;
    try {
      this.store.tx(() => {
        this.store.history.append(rows);
        this.store.counters.save(this.dirty);
        if (maintain) this.maintainNow(now);
      });
      this.dirty.clear();
      if (maintain) this.lastRollupMinute = minute;
      if (this.persistFailing) this.log.info('stats are being saved again');
      this.persistFailing = false;
    } catch (err) {
      // Counters stay dirty and are saved by the next tick that succeeds; this tick's history is lost.
      if (!this.persistFailing) this.log.error(`cannot save stats: ${(err as Error).message}`);
      this.persistFailing = true;
    }
  }

  private maintain(now: number): void {
    try {
      this.maintainNow(now);
      this.lastRollupMinute = floorTo(now, MINUTE_MS);
    } catch (err) {
      this.log.error(`cannot roll up history: ${(err as Error).message}`);
    }
  }

  private maintainNow(now: number): void {
    this.store.history.rollUp(now);
    this.store.history.prune(now);
  }

  private snapshot(time: number): StatsTick {
    return {
      time,
      up: this.total.upSpeed, down: this.total.downSpeed,
      totalUp: this.total.counter.up, totalDown: this.total.counter.down,
      connections: this.total.connections,
      instances: countersRecord(this.instances.values()),
      outbounds: countersRecord(this.outbounds.values()),
      badHandshakes: this.badTotal,
    };
  }

  /** Stops reporting a deleted instance (its live connections must be closed first). */
  forgetInstance(id: string): void {
    this.instances.delete(id);
  }

  /**
   * Drops a deleted outbound profile's counters (memory and store). Connections still open on it
   * keep counting under the tag until they close, then the scope is gone after the next restart.
   */
  forgetOutbound(tag: string): void {
    const scope = `outbound:${tag}`;
    if ((this.outbounds.get(tag)?.connections ?? 0) === 0) this.outbounds.delete(tag);
    this.dirty.delete(scope);
    try {
      this.store.counters.delete(scope);
    } catch (err) {
      this.log.warn(`could not delete the counters of outbound ${tag}: ${(err as Error).message}`);
    }
  }

  private *scopes(): Iterable<ScopeStats> {
    yield this.total;
    yield* this.instances.values();
    yield* this.outbounds.values();
  }

  private instanceScope(id: string, saved?: CounterValue): ScopeStats {
    let s = this.instances.get(id);
    if (!s) this.instances.set(id, (s = newScope(id, `instance:${id}`, `instance:${id}`, saved)));
    return s;
  }

  private outboundScope(tag: string, saved?: CounterValue): ScopeStats {
    let s = this.outbounds.get(tag);
    if (!s) this.outbounds.set(tag, (s = newScope(tag, `outbound:${tag}`, null, saved)));
    return s;
  }
}
