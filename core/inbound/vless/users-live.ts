import type { RelayUser } from '../../rpc';
import type { VlessEnv } from './env';
import type { UserTraffic } from './traffic';
import { UserIndex, normalizeUuid } from './users';

/**
 * Swaps the users of a relay without a restart. The new index serves the next handshakes;
 * a user deleted, disabled, expired or given a new uuid loses its live sessions (telemt's
 * disable semantics); everyone else's connections stay up. The traffic counters are rebuilt
 * from the saved ones (pending saves included), so used bytes carry over.
 * Limit changes apply to new connections; speed buckets of live connections keep their rate
 * until the user has no live connection.
 */
export function applyUsersLive(
  env: VlessEnv, users: readonly RelayUser[], running: boolean, newTraffic: (users: readonly RelayUser[]) => UserTraffic,
): number {
  const old = env.users;
  const next = new UserIndex(users);
  const mutable: { users: UserIndex; traffic: UserTraffic } = env;
  mutable.users = next;
  if (running) {
    env.traffic.close();
    const traffic = newTraffic(users);
    mutable.traffic = traffic;
    traffic.start();
  }
  const now = Date.now();
  let closed = 0;
  for (const u of old.list()) {
    const n = next.get(u.name);
    const gone = !n || !n.enabled || (n.expiresAt !== null && now >= n.expiresAt) || normalizeUuid(n.uuid) !== normalizeUuid(u.uuid);
    if (gone) closed += env.limits.closeUser(u.name);
  }
  return closed;
}
