import type { InstanceRunner } from '../../adapter';
import type { RelayUser } from '../../rpc';
import type { FallbackHandler } from './fallback';

/** One user of a running relay as the users and monitor APIs show it. */
export interface VlessUserSnapshot {
  name: string;
  /** Canonical 8-4-4-4-12 lowercase. */
  uuid: string;
  /** Live connections. */
  connections: number;
  /** Distinct source IPs with live connections. */
  activeIps: string[];
  /** Bytes since the last reset (client → destination, destination → client). */
  up: number;
  down: number;
  /** When the counter was last zeroed (ms), null if never. */
  lastResetAt: number | null;
}

/** The VLESS relay instance: an InstanceRunner plus what the users and monitor APIs need. */
export interface VlessRunner extends InstanceRunner {
  /**
   * Replaces who serves HTTP on the plaintext TCP port (fallback "monitor"); null restores the
   * default: the monitor API (monitor/), which answers 404 Not Found for unknown paths.
   */
  setFallbackHandler(fn: FallbackHandler | null): void;
  /** Every configured user with live figures, in spec order. */
  users(): VlessUserSnapshot[];
  /** Zeroes a user's traffic counter (quota period) now; false for an unknown user. */
  resetQuota(name: string): boolean;
  /**
   * Replaces the users live (no restart): deleted, disabled or re-keyed users lose their live
   * sessions, the others keep theirs (see users-live.ts). Returns how many connections were closed.
   */
  setUsers(users: readonly RelayUser[]): number;
}
