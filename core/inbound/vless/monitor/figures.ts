import os from 'node:os';
import type { StatsAccounting } from '../../../adapter';
import type { RelayUser } from '../../../rpc';
import type { VlessUserSnapshot } from '../runner';
import { formatBytes, formatDuration, formatSpeed, formatUserSpeed } from './format';
import type { ConnectionCounter, ConnectionPoolStats, MemoryPoolStats, MemoryPools } from './pools';

/** The document's per-user object (users[] of /api/stats, items of /api/user-stats). */
export interface UserMonitorData {
  uuid: string;
  email: string | null;
  upload_speed: string;
  download_speed: string;
  total_traffic: string;
  active_connections: number;
}

/** The document's MonitorData (/api/stats and the WebSocket "stats" payload). */
export interface MonitorData {
  upload_speed: string;
  download_speed: string;
  total_traffic: string;
  uptime: string;
  memory_usage: string;
  total_memory: string;
  active_connections: number;
  max_connections: number;
  users: UserMonitorData[];
  connection_pool: ConnectionPoolStats;
  /** In the document, absent from VLESS-Rust v1.2.1 (PROTOCOLS.md §5.2): we follow the document. */
  memory_pool: MemoryPoolStats;
}

export interface SpeedPoint {
  /** Whole seconds since the relay started, as a string. */
  timestamp: string;
  upload_speed: string;
  download_speed: string;
}

export interface SpeedHistory {
  history: SpeedPoint[];
  duration_seconds: number;
}

/** What the figures are read from: the relay and the engine's stats collector. */
export interface MonitorSource {
  instanceId: string;
  /** The engine's collector; null where none runs (figures read 0). */
  accounting: Pick<StatsAccounting, 'latest' | 'connections'> | null;
  /** The relay's users with live figures (VlessRunner.users()). */
  users(): VlessUserSnapshot[];
  /** The spec's users (for email and the connection limits). */
  specUsers(): readonly RelayUser[];
  connections: ConnectionCounter;
  memory: MemoryPools;
}

/**
 * Computes the monitor's figures. Instance speeds and total_traffic come from the collector's
 * latest tick for this instance (speeds measured over the last 1 s tick; total = cumulative
 * persisted counters, up + down); per-user total_traffic = the user's counter since its last
 * reset, per-user speeds = the sum of its live connections' last-tick speeds; active connections
 * = live admitted clients. memory_usage = process RSS, total_memory = system RAM (as VLESS-Rust).
 * Every snapshot() records one speed point; history keeps points younger than historySeconds.
 */
export class MonitorFigures {
  private readonly history: { at: number; up: number; down: number }[] = [];
  private readonly collector: Pick<StatsAccounting, 'latest' | 'connections'> | null;

  constructor(
    private readonly src: MonitorSource,
    private readonly startedAt: number,
    private readonly historySeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.collector = src.accounting;
  }

  /** Takes a speed snapshot and a memory sample, and returns MonitorData. */
  snapshot(): MonitorData {
    const now = this.now();
    const inst = this.collector?.latest().instances[this.src.instanceId];
    const up = inst?.up ?? 0;
    const down = inst?.down ?? 0;
    this.history.push({ at: now, up, down });
    const oldest = now - this.historySeconds * 1000;
    while (this.history.length > 0 && this.history[0]!.at <= oldest) this.history.shift();
    this.src.memory.sample();
    const users = this.users();
    return {
      upload_speed: formatSpeed(up),
      download_speed: formatSpeed(down),
      total_traffic: formatBytes((inst?.totalUp ?? 0) + (inst?.totalDown ?? 0)),
      uptime: formatDuration((now - this.startedAt) / 1000),
      memory_usage: formatBytes(process.memoryUsage.rss()),
      total_memory: formatBytes(os.totalmem()),
      active_connections: users.reduce((n, u) => n + u.active_connections, 0),
      max_connections: this.maxConnections(),
      users,
      connection_pool: this.src.connections.stats(),
      memory_pool: this.src.memory.stats(),
    };
  }

  /** Per-user figures in spec order. */
  users(): UserMonitorData[] {
    const speeds = new Map<string, { up: number; down: number }>();
    for (const c of this.collector?.connections(this.src.instanceId) ?? []) {
      if (c.user === null) continue;
      const s = speeds.get(c.user) ?? { up: 0, down: 0 };
      s.up += c.uploadSpeed;
      s.down += c.downloadSpeed;
      speeds.set(c.user, s);
    }
    const emails = new Map(this.src.specUsers().map((u) => [u.name, u.email]));
    return this.src.users().map((u) => {
      const s = speeds.get(u.name);
      return {
        uuid: u.uuid, email: emails.get(u.name) ?? null,
        upload_speed: formatUserSpeed(s?.up ?? 0), download_speed: formatUserSpeed(s?.down ?? 0),
        total_traffic: formatBytes(u.up + u.down), active_connections: u.connections,
      };
    });
  }

  connectionPool(): ConnectionPoolStats {
    return this.src.connections.stats();
  }

  /** Samples memory first, so the figures are current. */
  memoryPool(): MemoryPoolStats {
    this.src.memory.sample();
    return this.src.memory.stats();
  }

  speedHistory(): SpeedHistory {
    return {
      history: this.history.map((p) => ({
        timestamp: String(Math.max(0, Math.floor((p.at - this.startedAt) / 1000))),
        upload_speed: formatSpeed(p.up), download_speed: formatSpeed(p.down),
      })),
      duration_seconds: this.historySeconds,
    };
  }

  /**
   * Our relay has no instance-wide connection cap (VLESS-Rust's vless_max_connections): the only
   * ceiling is the sum of the users' maxConnections when every user has one; 0 means no limit.
   */
  maxConnections(): number {
    const users = this.src.specUsers();
    if (users.length === 0 || users.some((u) => u.maxConnections === null)) return 0;
    return users.reduce((n, u) => n + (u.maxConnections ?? 0), 0);
  }
}
