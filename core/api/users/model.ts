import { createHash } from 'node:crypto';
import type { UserPatch, UserView } from '../../rpc/schemas/users';
import { ApiFail } from './envelope';

/** telemt's UserInfo, filled from a relay user. Optional limits are omitted when unlimited. */
export interface UserInfo {
  username: string;
  enabled: boolean;
  /** Always true: changes are applied to the running relay at once (no pending reload). */
  in_runtime: true;
  max_tcp_conns?: number;
  expiration_rfc3339?: string;
  data_quota_bytes?: number;
  rate_limit_up_bps?: number;
  rate_limit_down_bps?: number;
  max_unique_ips?: number;
  current_connections: number;
  active_unique_ips: number;
  active_unique_ips_list: string[];
  /** RelayDesk keeps no history of past IPs: the same as the active ones. */
  recent_unique_ips: number;
  recent_unique_ips_list: string[];
  /** Bytes (up + down) since the last quota reset. */
  total_octets: number;
  links: { classic: string[]; secure: string[]; tls: string[]; tls_domains: { domain: string; link: string }[] };
}

const RELAY_USER_KEYS = ['name', 'uuid', 'email', 'enabled', 'expiresAt', 'quotaBytes', 'maxConnections', 'maxIps', 'upLimitBps', 'downLimitBps', 'resetDay'] as const;

export function userInfo(u: UserView): UserInfo {
  const info: UserInfo = {
    username: u.name, enabled: u.enabled, in_runtime: true,
    current_connections: u.connections, active_unique_ips: u.activeIps.length, active_unique_ips_list: u.activeIps,
    recent_unique_ips: u.activeIps.length, recent_unique_ips_list: u.activeIps,
    total_octets: u.usedUp + u.usedDown,
    links: { classic: u.links, secure: [], tls: [], tls_domains: [] },
  };
  if (u.maxConnections !== null) info.max_tcp_conns = u.maxConnections;
  if (u.expiresAt !== null) info.expiration_rfc3339 = new Date(u.expiresAt).toISOString();
  if (u.quotaBytes !== null) info.data_quota_bytes = u.quotaBytes;
  if (u.upLimitBps !== null) info.rate_limit_up_bps = u.upLimitBps;
  if (u.downLimitBps !== null) info.rate_limit_down_bps = u.downLimitBps;
  if (u.maxIps !== null) info.max_unique_ips = u.maxIps;
  return info;
}

/** The telemt secret of a user: the UUID's 32 hex digits. */
export function secretOf(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

/**
 * The revision: lowercase hex SHA-256 of the canonical JSON (fixed key order, spec order of
 * users) of the relay's configured users — RelayDesk's stand-in for telemt's config-file hash.
 */
export function revisionOf(users: readonly UserView[]): string {
  const canon = users.map((u) => Object.fromEntries(RELAY_USER_KEYS.map((k) => [k, u[k]])));
  return createHash('sha256').update(JSON.stringify(canon)).digest('hex');
}

const FIELD_MAP = {
  max_tcp_conns: 'maxConnections', data_quota_bytes: 'quotaBytes', rate_limit_up_bps: 'upLimitBps',
  rate_limit_down_bps: 'downLimitBps', max_unique_ips: 'maxIps',
} as const;

/**
 * A telemt CreateUserRequest / PatchUserRequest body as a RelayUser patch. Unknown fields are
 * ignored (user_ad_tag too: VLESS has no ad tag); null clears a limit (patch only).
 */
export function patchFromBody(body: Record<string, unknown>, create: boolean): UserPatch {
  const out: Record<string, unknown> = {};
  for (const [from, to] of Object.entries(FIELD_MAP)) {
    const v = body[from];
    if (v === undefined) continue;
    if (v === null && create) continue;
    out[to] = v;
  }
  if (body.expiration_rfc3339 !== undefined && !(create && body.expiration_rfc3339 === null)) {
    const v = body.expiration_rfc3339;
    if (v === null) out.expiresAt = null;
    else {
      const t = typeof v === 'string' ? Date.parse(v) : NaN;
      if (Number.isNaN(t)) throw new ApiFail(400, 'bad_request', 'expiration_rfc3339 is not an RFC 3339 time');
      out.expiresAt = t;
    }
  }
  if (body.enabled !== undefined && body.enabled !== null) out.enabled = body.enabled;
  if (body.secret !== undefined && body.secret !== null) out.uuid = uuidFromSecret(body.secret);
  return out as UserPatch;
}

/** 32 hex digits as an 8-4-4-4-12 UUID; 400 otherwise. */
export function uuidFromSecret(secret: unknown): string {
  if (typeof secret !== 'string' || !/^[0-9a-fA-F]{32}$/.test(secret)) throw new ApiFail(400, 'bad_request', 'secret must be 32 hex digits');
  const h = secret.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
