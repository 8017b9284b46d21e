import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeBasicAuth } from '../../codec/http1';

/** The accounts of one inbound, checked in constant time (RFC 1929 and HTTP Basic share it). */
export class UserTable {
  private readonly digests: { user: Buffer; pass: Buffer; name: string }[];

  constructor(users: readonly { username: string; password: string }[]) {
    this.digests = users.map((u) => ({ user: digest(u.username), pass: digest(u.password), name: u.username }));
  }

  /** Whether clients must authenticate. */
  get required(): boolean {
    return this.digests.length > 0;
  }

  /**
   * The configured username these credentials belong to, or null. Every account is compared,
   * through fixed-length digests, so the time taken says nothing about names or lengths.
   */
  check(username: Buffer | string, password: Buffer | string): string | null {
    const u = digest(username);
    const p = digest(password);
    let found: string | null = null;
    for (const d of this.digests) {
      // Both comparisons run whatever the first one says.
      const userOk = timingSafeEqual(u, d.user);
      const passOk = timingSafeEqual(p, d.pass);
      if (userOk && passOk && found === null) found = d.name;
    }
    return found;
  }
}

function digest(value: Buffer | string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The outcome of checking a Proxy-Authorization header. */
export type ProxyAuthResult = { user: string | null } | { denied: 'missing' | 'wrong' };

/**
 * Checks a `Proxy-Authorization: Basic` value. Without configured users every request passes
 * (user null); with users, no or malformed credentials are "missing", unknown ones "wrong".
 */
export function checkProxyAuthorization(users: UserTable, value: string | undefined): ProxyAuthResult {
  if (!users.required) return { user: null };
  const creds = decodeBasicAuth(value);
  if (creds === null) return { denied: value === undefined ? 'missing' : 'wrong' };
  const user = users.check(creds.username, creds.password);
  return user === null ? { denied: 'wrong' } : { user };
}
