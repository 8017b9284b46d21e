import type { RelayUser } from '../../rpc';

/**
 * The users of one relay, indexed by UUID (32 lowercase hex digits, the form the codec reports)
 * and by name. Built from the spec at start; the spec's validation guarantees both are unique.
 */
export class UserIndex {
  private readonly byHex = new Map<string, RelayUser>();
  private readonly byName = new Map<string, RelayUser>();

  constructor(users: readonly RelayUser[]) {
    for (const u of users) {
      this.byHex.set(normalizeUuid(u.uuid), u);
      this.byName.set(u.name, u);
    }
  }

  /** The user whose id is these 16 bytes. */
  byUuid(uuid: Buffer): RelayUser | undefined {
    return this.byHex.get(uuid.toString('hex'));
  }

  get(name: string): RelayUser | undefined {
    return this.byName.get(name);
  }

  list(): RelayUser[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }
}

/** A UUID in any accepted form (8-4-4-4-12 or 32 hex digits, any case) as 32 lowercase hex digits. */
export function normalizeUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

/** Why this user may not connect at `now` regardless of load ("disabled", "expired at …"), or null. */
export function accountRefusal(user: RelayUser, now: number): string | null {
  if (!user.enabled) return 'disabled';
  if (user.expiresAt !== null && now >= user.expiresAt) return `expired at ${new Date(user.expiresAt).toISOString()}`;
  return null;
}
