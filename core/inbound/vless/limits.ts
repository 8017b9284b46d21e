import type { Duplex } from 'node:stream';
import { TokenBucket } from '../../common/token-bucket';
import type { RelayUser } from '../../rpc';
import { ThrottledStream } from './throttle';

/** One admitted client connection of a user, live until its stream closes. */
export interface LiveConn {
  readonly user: RelayUser;
  readonly ip: string;
  /** What the relay got (the throttled wrapper when the user has a speed limit). */
  readonly stream: Duplex;
}

/** Live connections and source IPs of one user, and the buckets all its connections share. */
interface UserLoad {
  readonly conns: Set<LiveConn>;
  /** Live connections per source IP. */
  readonly ips: Map<string, number>;
  up: TokenBucket | null;
  down: TokenBucket | null;
}

/**
 * Per-user admission and speed limits of one relay: maxConnections (live connections), maxIps
 * (distinct source IPs with live connections) and the quota are checked when a connection has
 * authenticated; upLimitBps/downLimitBps are token buckets shared by all of the user's
 * connections (see ThrottledStream). A refusal is one info log line naming the user and the limit.
 */
export class UserLimits {
  private readonly load = new Map<string, UserLoad>();
  private live = 0;
  private drained: (() => void) | null = null;

  /**
   * Why `user` may not open another connection from `ip` with `used` bytes of quota spent, as a
   * log-ready phrase ("3 connections (max 3)"), or null when it may.
   */
  refusal(user: RelayUser, ip: string, used: number): string | null {
    const l = this.load.get(user.name);
    const conns = l?.conns.size ?? 0;
    if (user.maxConnections !== null && conns >= user.maxConnections) {
      return `${conns} connection${conns === 1 ? '' : 's'} (max ${user.maxConnections})`;
    }
    const ips = l?.ips.size ?? 0;
    if (user.maxIps !== null && !(l?.ips.has(ip) ?? false) && ips >= user.maxIps) {
      return `${ips} source IP${ips === 1 ? '' : 's'} (max ${user.maxIps}), new IP ${ip}`;
    }
    if (user.quotaBytes !== null && used >= user.quotaBytes) return `quota used up (${used} of ${user.quotaBytes} bytes)`;
    return null;
  }

  /**
   * Registers an admitted connection until `stream` closes; returns the stream the relay should
   * use: `stream` itself, or a ThrottledStream over it when the user has a speed limit (`head`:
   * bytes already read past the header, spent from the upload bucket).
   */
  admit(user: RelayUser, ip: string, stream: Duplex, head: number): LiveConn {
    let l = this.load.get(user.name);
    if (!l) {
      l = { conns: new Set(), ips: new Map(), up: null, down: null };
      this.load.set(user.name, l);
    }
    if (user.upLimitBps !== null) l.up ??= new TokenBucket(user.upLimitBps);
    if (user.downLimitBps !== null) l.down ??= new TokenBucket(user.downLimitBps);
    const relayed = l.up || l.down ? new ThrottledStream(stream, { up: l.up, down: l.down }, head) : stream;
    const conn: LiveConn = { user, ip, stream: relayed };
    l.conns.add(conn);
    l.ips.set(ip, (l.ips.get(ip) ?? 0) + 1);
    this.live++;
    const load = l;
    relayed.once('close', () => this.release(load, conn));
    return conn;
  }

  /** Live connections and distinct source IPs of a user. */
  usage(name: string): { connections: number; activeIps: string[] } {
    const l = this.load.get(name);
    return { connections: l?.conns.size ?? 0, activeIps: l ? [...l.ips.keys()] : [] };
  }

  /** Destroys every live connection of a user; returns how many. */
  closeUser(name: string): number {
    const l = this.load.get(name);
    if (!l) return 0;
    const victims = [...l.conns];
    for (const c of victims) c.stream.destroy();
    return victims.length;
  }

  /** Destroys every live connection; resolves once all have closed (their relays ended). */
  closeAll(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      if (this.live === 0) resolve();
      else this.drained = resolve;
    });
    for (const l of this.load.values()) for (const c of [...l.conns]) c.stream.destroy();
    return done;
  }

  private release(l: UserLoad, conn: LiveConn): void {
    if (!l.conns.delete(conn)) return;
    const n = (l.ips.get(conn.ip) ?? 1) - 1;
    if (n > 0) l.ips.set(conn.ip, n);
    else l.ips.delete(conn.ip);
    if (l.conns.size === 0 && l.up === null && l.down === null) this.load.delete(conn.user.name);
    if (--this.live === 0 && this.drained) {
      const resolve = this.drained;
      this.drained = null;
      resolve();
    }
  }
}
