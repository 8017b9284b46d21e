import type { Outbound } from '../adapter';
import { newId } from '../common/ids';
import type { Logger } from '../log/logger';
import {
  CoreError, ProfileSpec, toCoreError, type CoreEvents, type Latency, type Profile, type RouteSettings,
} from '../rpc';
import type { Store, StoredProfile } from '../store/store';
import type { EventBus } from './event-bus';

export interface ProfileRegistryDeps {
  store: Store;
  bus: EventBus<CoreEvents>;
  log: Logger;
  /** Tags a profile id must not take ("direct", "block"). */
  reserved: ReadonlySet<string>;
  /** The current route settings (deleteProfile refuses while they name the profile). */
  route(): RouteSettings;
  /** Builds a profile's outbound (engine/builtin.ts). */
  createOutbound(id: string, spec: ProfileSpec, log: Logger): Outbound;
}

/** A new profile as the registry takes it. */
export interface NewProfile {
  id?: string;
  name: string;
  spec: ProfileSpec;
  /** @default null */
  source?: string | null;
}

/** What a configuration file does to profiles, already validated as a whole. */
export interface ProfilePlan {
  /** Deleted first (the caller checked that the final route names none of them). */
  delete: string[];
  upsert: Array<{ id: string; name: string; spec: ProfileSpec; exists: boolean }>;
}

/**
 * The saved outbound profiles: persisted in the store, announced on the bus (`profile`,
 * `profileRemoved`), and each one's Outbound built on first use and cached by id. A changed
 * spec replaces the cached outbound (the old one's close() runs; its live connections keep
 * going until they end). Names are unique; ids are 8 hex digits unless given.
 */
export class ProfileRegistry {
  private readonly profiles = new Map<string, Profile>();
  private readonly outbounds = new Map<string, Outbound>();

  constructor(private readonly deps: ProfileRegistryDeps) {
    for (const rec of deps.store.profiles.list()) this.profiles.set(rec.id, this.fromStored(rec));
  }

  list(): Profile[] { return [...this.profiles.values()]; }
  ids(): string[] { return [...this.profiles.keys()]; }
  has(id: string): boolean { return this.profiles.has(id); }

  get(id: string): Profile {
    const p = this.profiles.get(id);
    if (!p) throw new CoreError('E_NOT_FOUND', `no profile with id "${id}"`);
    return p;
  }

  /** The outbound for a tag when it is a profile id (built on first use), else undefined. */
  outbound(tag: string): Outbound | undefined {
    const cached = this.outbounds.get(tag);
    if (cached) return cached;
    const p = this.profiles.get(tag);
    if (!p) return undefined;
    let outbound: Outbound;
    try {
      outbound = this.deps.createOutbound(p.id, p.spec, this.deps.log);
    } catch (err) {
      const e = toCoreError(err);
      this.deps.log.warn(`profile "${p.name}" (${p.id}) cannot be used: ${e.message}`);
      outbound = failingOutbound(p, e);
    }
    this.outbounds.set(tag, outbound);
    return outbound;
  }

  create(input: NewProfile): Profile {
    const id = input.id ?? this.freshId();
    this.assertIdFree(id);
    this.assertNameFree(input.name);
    const now = Date.now();
    const p: Profile = { id, name: input.name, spec: input.spec, source: input.source ?? null, latency: null, createdAt: now, updatedAt: now };
    this.deps.store.profiles.insert(toStored(p));
    this.profiles.set(id, p);
    this.deps.log.info(`profile "${p.name}" created (${p.spec.type} ${hostPort(p)})`);
    this.deps.bus.emit('profile', p);
    return p;
  }

  update(input: { id: string; name?: string; spec?: ProfileSpec }): Profile {
    const old = this.get(input.id);
    if (input.name !== undefined && input.name !== old.name) this.assertNameFree(input.name);
    const specChanged = input.spec !== undefined && JSON.stringify(input.spec) !== JSON.stringify(old.spec);
    const p: Profile = {
      ...old, name: input.name ?? old.name, spec: specChanged ? input.spec! : old.spec,
      // The last test measured the old server.
      latency: specChanged ? null : old.latency, updatedAt: Date.now(),
    };
    this.deps.store.profiles.update(toStored(p));
    this.profiles.set(p.id, p);
    if (specChanged) this.dropOutbound(p.id);
    this.deps.log.info(`profile "${p.name}" updated${specChanged ? ` (${p.spec.type} ${hostPort(p)})` : ''}`);
    this.deps.bus.emit('profile', p);
    return p;
  }

  /** E_CONFIG_CONFLICT while the route settings name the profile. */
  delete(id: string): { id: string } {
    const p = this.get(id);
    const uses = routeUses(this.deps.route(), id);
    if (uses.length > 0) {
      throw new CoreError('E_CONFIG_CONFLICT', `profile "${p.name}" (${id}) is used by settings route.${uses.join(', route.')}; change the route first`);
    }
    this.remove(id);
    return { id };
  }

  /** Stores the result of a latency test (not an edit: updatedAt stays). No-op if deleted meanwhile. */
  setLatency(id: string, latency: Latency): void {
    const old = this.profiles.get(id);
    if (!old) return;
    const p: Profile = { ...old, latency };
    this.deps.store.profiles.update(toStored(p));
    this.profiles.set(id, p);
    this.deps.bus.emit('profile', p);
  }

  /** Applies a validated configuration-file plan in one store transaction; returns [created, updated]. */
  applyPlan(plan: ProfilePlan): { created: string[]; updated: string[] } {
    const created: string[] = [];
    const updated: string[] = [];
    const changed: Profile[] = [];
    this.deps.store.tx(() => {
      for (const id of plan.delete) this.deps.store.profiles.delete(id);
      const now = Date.now();
      for (const u of plan.upsert) {
        const old = this.profiles.get(u.id);
        if (!u.exists || !old) {
          const p: Profile = { id: u.id, name: u.name, spec: u.spec, source: null, latency: null, createdAt: now, updatedAt: now };
          this.deps.store.profiles.insert(toStored(p));
          changed.push(p);
          created.push(p.id);
          continue;
        }
        const specChanged = JSON.stringify(u.spec) !== JSON.stringify(old.spec);
        if (!specChanged && u.name === old.name) continue;
        const p: Profile = { ...old, name: u.name, spec: u.spec, latency: specChanged ? null : old.latency, updatedAt: now };
        this.deps.store.profiles.update(toStored(p));
        changed.push(p);
        updated.push(p.id);
      }
    });
    for (const id of plan.delete) this.forget(id);
    for (const p of changed) {
      const old = this.profiles.get(p.id);
      this.profiles.set(p.id, p);
      if (old && JSON.stringify(old.spec) !== JSON.stringify(p.spec)) this.dropOutbound(p.id);
      this.deps.bus.emit('profile', p);
    }
    return { created, updated };
  }

  /** Releases every cached outbound (engine shutdown). */
  close(): void {
    for (const id of [...this.outbounds.keys()]) this.dropOutbound(id);
  }

  /** Whether `name` is free, optionally ignoring one profile. */
  nameFree(name: string, except?: string): boolean {
    for (const p of this.profiles.values()) if (p.name === name && p.id !== except) return false;
    return true;
  }

  freshId(): string {
    let id = newId();
    while (this.profiles.has(id) || this.deps.reserved.has(id)) id = newId();
    return id;
  }

  private assertIdFree(id: string): void {
    if (this.deps.reserved.has(id)) throw new CoreError('E_CONFIG_CONFLICT', `"${id}" is a builtin outbound tag and cannot be a profile id`);
    if (this.profiles.has(id)) throw new CoreError('E_CONFIG_CONFLICT', `a profile with id "${id}" already exists`);
  }

  private assertNameFree(name: string): void {
    if (!this.nameFree(name)) throw new CoreError('E_CONFIG_CONFLICT', `a profile named "${name}" already exists`);
  }

  private remove(id: string): void {
    this.deps.store.profiles.delete(id);
    this.forget(id);
  }

  private forget(id: string): void {
    const p = this.profiles.get(id);
    if (!p) return;
    this.profiles.delete(id);
    this.dropOutbound(id);
    this.deps.log.info(`profile "${p.name}" deleted`);
    this.deps.bus.emit('profileRemoved', { id });
  }

  private dropOutbound(id: string): void {
    const o = this.outbounds.get(id);
    if (!o) return;
    this.outbounds.delete(id);
    try {
      o.close?.();
    } catch (err) {
      this.deps.log.warn(`closing the outbound of profile ${id} failed: ${(err as Error).message}`);
    }
  }

  private fromStored(rec: StoredProfile): Profile {
    const spec = ProfileSpec.safeParse(rec.spec);
    // Keep an unreadable record listed as is: the user can fix or delete it.
    if (!spec.success) this.deps.log.warn(`stored profile "${rec.name}" (${rec.id}) has an invalid spec: ${spec.error.message}`);
    return {
      id: rec.id, name: rec.name, spec: (spec.success ? spec.data : rec.spec) as ProfileSpec, source: rec.source,
      latency: (rec.latency ?? null) as Latency | null, createdAt: rec.createdAt, updatedAt: rec.updatedAt,
    };
  }
}

/** Where route settings name `tag`: ["rules[2].outbound", "final", ...]. */
export function routeUses(route: RouteSettings, tag: string): string[] {
  const uses: string[] = [];
  route.rules.forEach((r, i) => { if (r.outbound === tag) uses.push(`rules[${i}].outbound`); });
  if (route.final === tag) uses.push('final');
  if (route.globalOutbound === tag) uses.push('globalOutbound');
  return uses;
}

function toStored(p: Profile): StoredProfile {
  return { id: p.id, name: p.name, spec: p.spec, source: p.source, latency: p.latency, createdAt: p.createdAt, updatedAt: p.updatedAt };
}

function hostPort(p: Profile): string {
  return p.spec.host.includes(':') ? `[${p.spec.host}]:${p.spec.port}` : `${p.spec.host}:${p.spec.port}`;
}

/** Stands in for a profile whose outbound cannot be built, so routing names the reason. */
function failingOutbound(p: Profile, err: CoreError): Outbound {
  const fail = async (): Promise<never> => {
    throw new CoreError(err.code, `profile "${p.name}": ${err.message}`, { cause: err });
  };
  return { tag: p.id, type: p.spec.type, dialTcp: fail, openUdp: fail };
}
