import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { InstanceRunner } from '../adapter';
import { emitVlessLink } from '../codec/vless-link';
import { CoreError, parseHostPort, RelayUser, VlessInboundSpec, type Instance, type MethodParsed } from '../rpc';
import type { UserPatch, UserView } from '../rpc/schemas/users';
import type { VlessRunner, VlessUserSnapshot } from '../inbound/vless';
import type { StoredInstance } from '../store/store';
import type { InstanceController } from './instance';

/** What RelayUsers needs from the engine. */
export interface RelayUsersHooks {
  /** The controller of an instance; E_NOT_FOUND if unknown. */
  get(id: string): InstanceController;
  /** Writes the record to the store. */
  persist(record: StoredInstance): void;
}

/**
 * The CoreApi users methods: users of a VLESS relay live in its spec; changes are persisted and
 * applied to the running relay with VlessRunner.setUsers (no restart, see users-live.ts).
 */
export class RelayUsers {
  constructor(private readonly hooks: RelayUsersHooks) {}

  list({ instanceId }: MethodParsed<'listUsers'>): UserView[] {
    const c = this.relay(instanceId);
    return this.views(c.record, c.liveRunner as VlessRunner | null);
  }

  get({ instanceId, name }: MethodParsed<'getUser'>): UserView {
    return this.find(this.list({ instanceId }), instanceId, name);
  }

  async create({ instanceId, user }: MethodParsed<'createUser'>): Promise<UserView> {
    const full: RelayUser = { ...user, uuid: canonicalUuid(user.uuid ?? randomUUID()) };
    await this.change(instanceId, (users) => {
      if (users.some((u) => u.name === full.name)) throw new CoreError('E_CONFIG_CONFLICT', `user "${full.name}" already exists`);
      return [...users, full];
    });
    return this.get({ instanceId, name: full.name });
  }

  async update({ instanceId, name, patch }: MethodParsed<'updateUser'>): Promise<UserView> {
    await this.change(instanceId, (users) => this.replace(users, instanceId, name, (u) => mergePatch(u, patch)));
    return this.get({ instanceId, name });
  }

  async delete({ instanceId, name }: MethodParsed<'deleteUser'>): Promise<{ name: string }> {
    await this.change(instanceId, (users) => {
      this.find(users, instanceId, name);
      return users.filter((u) => u.name !== name);
    });
    return { name };
  }

  rotate({ instanceId, name, uuid }: MethodParsed<'rotateUserUuid'>): Promise<UserView> {
    return this.update({ instanceId, name, patch: { uuid: uuid ?? randomUUID() } });
  }

  setEnabled({ instanceId, name, enabled }: MethodParsed<'setUserEnabled'>): Promise<UserView> {
    return this.update({ instanceId, name, patch: { enabled } });
  }

  resetQuota({ instanceId, name }: MethodParsed<'resetUserQuota'>): UserView {
    const c = this.relay(instanceId);
    this.find(specOf(c.record).users, instanceId, name);
    const runner = c.liveRunner as VlessRunner | null;
    if (!runner) throw new CoreError('E_STATE_TRANSITION', `instance "${c.record.name}" is not running`);
    runner.resetQuota(name);
    return this.get({ instanceId, name });
  }

  private relay(instanceId: string): InstanceController {
    const c = this.hooks.get(instanceId);
    if ((c.record.spec as { type?: string }).type !== 'vless') throw new CoreError('E_CONFIG_INVALID', `instance "${c.record.name}" is not a VLESS relay`);
    return c;
  }

  private async change(instanceId: string, edit: (users: RelayUser[]) => RelayUser[]): Promise<Instance> {
    const c = this.relay(instanceId);
    return c.replaceSpecLive((current, runner) => {
      const spec = specOf(current);
      const users = edit(spec.users);
      const seen = new Map(users.map((u) => [canonicalUuid(u.uuid), u.name]));
      if (seen.size !== users.length) throw new CoreError('E_CONFIG_CONFLICT', 'that uuid is taken by another user');
      const parsed = VlessInboundSpec.safeParse({ ...spec, users });
      if (!parsed.success) throw new CoreError('E_CONFIG_INVALID', parsed.error.issues.map((i) => `users.${i.path.join('.')}: ${i.message}`).join('; '));
      const next: StoredInstance = { ...current, spec: parsed.data, updatedAt: Date.now() };
      this.hooks.persist(next);
      (runner as VlessRunner | null)?.setUsers(parsed.data.users);
      return next;
    });
  }

  private replace(users: RelayUser[], instanceId: string, name: string, fn: (u: RelayUser) => RelayUser): RelayUser[] {
    this.find(users, instanceId, name);
    return users.map((u) => (u.name === name ? fn(u) : u));
  }

  private find<T extends { name: string }>(users: T[], instanceId: string, name: string): T {
    const u = users.find((x) => x.name === name);
    if (!u) throw new CoreError('E_NOT_FOUND', `no user "${name}" on instance "${instanceId}"`);
    return u;
  }

  private views(record: StoredInstance, runner: VlessRunner | null): UserView[] {
    const spec = specOf(record);
    const live = new Map<string, VlessUserSnapshot>((runner?.users() ?? []).map((s) => [s.name, s]));
    const server = linkServer(spec, (runner as InstanceRunner | null)?.address() ?? null);
    return spec.users.map((u) => {
      const s = live.get(u.name);
      return {
        ...u, connections: s?.connections ?? 0, activeIps: s?.activeIps ?? [], usedUp: s?.up ?? 0, usedDown: s?.down ?? 0,
        lastResetAt: s?.lastResetAt ?? null, links: server ? [userLink(spec, server, u)] : [],
      };
    });
  }
}

function specOf(record: StoredInstance): VlessInboundSpec {
  return record.spec as VlessInboundSpec;
}

/** 8-4-4-4-12 lowercase. */
export function canonicalUuid(uuid: string): string {
  const h = uuid.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Omitted keys keep their value, null clears (nullable fields only; the schema refuses the rest). */
function mergePatch(user: RelayUser, patch: UserPatch): RelayUser {
  const next: Record<string, unknown> = { ...user };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) next[k] = v;
  if (patch.uuid !== undefined) next.uuid = canonicalUuid(patch.uuid);
  return RelayUser.parse(next);
}

/**
 * Where a client reaches the relay: the listen host, or 127.0.0.1 when it listens on an
 * unspecified address (the engine does not know the public one); the bound port when listen says 0.
 */
function linkServer(spec: VlessInboundSpec, bound: string | null): { host: string; port: number } | null {
  const hp = parseHostPort(spec.listen);
  if (!hp) return null;
  const unspecified = hp.host === '' || hp.host === '0.0.0.0' || hp.host === '::';
  const boundPort = bound ? parseHostPort(bound)?.port ?? 0 : 0;
  const port = hp.port === 0 ? boundPort : hp.port;
  if (port === 0) return null;
  return { host: unspecified ? '127.0.0.1' : hp.host, port };
}

function userLink(spec: VlessInboundSpec, server: { host: string; port: number }, u: RelayUser): string {
  const tls = spec.tls;
  const selfSigned = tls !== null && tls.certFile === undefined;
  const sni = selfSigned && isIP(server.host) !== 0 ? tls.selfSignedNames[0] ?? '' : '';
  return emitVlessLink({
    name: u.name, uuid: canonicalUuid(u.uuid), host: server.host, port: server.port,
    transport: spec.transport.type === 'ws' ? { type: 'ws', path: spec.transport.path, host: '' } : { type: 'tcp' },
    tls: tls ? { sni, alpn: tls.alpn, insecure: selfSigned } : null,
  });
}
