import type { CounterValue, StatsAccounting, TrackedConn } from '../../adapter';
import type { Logger } from '../../log/logger';
import type { RelayUser } from '../../rpc';

/** What per-user accounting needs from the engine's stats collector. */
export type TrafficHost = Pick<StatsAccounting, 'onInstanceBytes' | 'onTick' | 'loadCounters' | 'saveCounter'>;

/** One user's counters: bytes since the last reset. */
export interface UserCounters {
  readonly value: CounterValue;
  /** When the counter was last zeroed (ms), null before the first reset day passed. */
  lastResetAt: number | null;
}

export interface UserTrafficOptions {
  instanceId: string;
  users: readonly RelayUser[];
  host: TrafficHost | null;
  log: Logger;
  /** Called after each tick for a user whose quota is used up (to close live connections). */
  onQuotaExceeded(user: RelayUser, used: number): void;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Per-user traffic of one relay: bytes of every connection whose meta.user is a user's name, fed
 * by the stats collector's byte hook (so spliced connections count too, with the collector's
 * precision: bytes are known at each 1 Hz tick and at close). Counters live in the store's
 * `counters` table as `user:<instanceId>:<name>` (up, down since the last reset) and
 * `user-reset:<instanceId>:<name>` (up = lastResetAt in ms), saved with the collector's ticks.
 * After each tick: a user's `resetDay` boundary (that day of the month, 00:00 local time) passed
 * since lastResetAt zeroes the counter; a used-up quota calls onQuotaExceeded.
 */
export class UserTraffic {
  private readonly counters = new Map<string, UserCounters>();
  private readonly byName = new Map<string, RelayUser>();
  private readonly now: () => number;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly opts: UserTrafficOptions) {
    this.now = opts.now ?? Date.now;
    for (const u of opts.users) this.byName.set(u.name, u);
  }

  /** Loads the saved counters and subscribes to the collector. */
  start(): void {
    const { host, instanceId, log } = this.opts;
    const saved = host?.loadCounters(`user:${instanceId}:`) ?? new Map<string, CounterValue>();
    const resets = host?.loadCounters(`user-reset:${instanceId}:`) ?? new Map<string, CounterValue>();
    for (const name of this.byName.keys()) {
      const v = saved.get(this.scope(name));
      const r = resets.get(this.resetScope(name));
      this.counters.set(name, { value: { up: v?.up ?? 0, down: v?.down ?? 0 }, lastResetAt: r ? r.up : null });
    }
    if (!host) {
      if (this.byName.size > 0) log.warn('per-user traffic is not counted: no stats collector runs here (quotas are not enforced)');
      return;
    }
    this.unsubscribe = [host.onInstanceBytes(instanceId, this.hostOnBytes), host.onTick(this.hostOnTick)];
    this.hostOnTick();
  }

  /** Stops listening; call once the relay's connections have ended (their last bytes count). */
  close(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** Bytes (up + down) since the last reset. */
  used(name: string): number {
    const c = this.counters.get(name);
    return c ? c.value.up + c.value.down : 0;
  }

  get(name: string): UserCounters | undefined {
    return this.counters.get(name);
  }

  /** Zeroes a user's counter now (by hand or on the reset day). False for an unknown user. */
  reset(name: string): boolean {
    const c = this.counters.get(name);
    if (!c) return false;
    c.value.up = 0;
    c.value.down = 0;
    c.lastResetAt = this.now();
    this.save(name, c, true);
    return true;
  }

  private readonly hostOnBytes = (conn: TrackedConn, up: number, down: number): void => {
    const name = conn.meta.user;
    if (name === null || (up === 0 && down === 0)) return;
    const c = this.counters.get(name);
    if (!c) return;
    c.value.up += up;
    c.value.down += down;
    this.save(name, c, false);
  };

  private readonly hostOnTick = (): void => {
    const now = this.now();
    for (const [name, c] of this.counters) {
      const user = this.byName.get(name)!;
      if (user.resetDay !== null) this.resetIfDue(user, c, now);
      if (user.quotaBytes !== null) {
        const used = c.value.up + c.value.down;
        if (used >= user.quotaBytes) this.opts.onQuotaExceeded(user, used);
      }
    }
  };

  private resetIfDue(user: RelayUser, c: UserCounters, now: number): void {
    if (c.lastResetAt === null) {
      // The first reset day is the next one: the counter starts now.
      c.lastResetAt = now;
      this.save(user.name, c, true);
      return;
    }
    if (c.lastResetAt >= lastResetBoundary(now, user.resetDay!)) return;
    const used = c.value.up + c.value.down;
    this.reset(user.name);
    this.opts.log.info(`user "${user.name}" traffic counter reset (monthly on day ${user.resetDay}; ${used} bytes used in the period)`);
  }

  private save(name: string, c: UserCounters, withReset: boolean): void {
    const host = this.opts.host;
    if (!host) return;
    host.saveCounter(this.scope(name), c.value);
    if (withReset && c.lastResetAt !== null) host.saveCounter(this.resetScope(name), { up: c.lastResetAt, down: 0 });
  }

  private scope(name: string): string {
    return `user:${this.opts.instanceId}:${name}`;
  }

  private resetScope(name: string): string {
    return `user-reset:${this.opts.instanceId}:${name}`;
  }
}

/** The latest `day` of a month at 00:00 local time that is not after `now`. */
export function lastResetBoundary(now: number, day: number): number {
  const d = new Date(now);
  const thisMonth = new Date(d.getFullYear(), d.getMonth(), day).getTime();
  return thisMonth <= now ? thisMonth : new Date(d.getFullYear(), d.getMonth() - 1, day).getTime();
}
