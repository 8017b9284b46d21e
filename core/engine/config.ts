import { validateRouteSettings } from '../route';
import {
  CoreError, Settings, type ApplyConfigResult, type ConfigFile, type MethodParsed, type Profile,
} from '../rpc';
import type { StoredInstance } from '../store/store';
import type { Engine } from './engine';
import { specProblems } from './builtin';
import { routeUses, type ProfilePlan } from './profiles';

type EngineOps = Pick<Engine, 'createInstance' | 'updateInstance' | 'deleteInstance' | 'updateSettings'>;

export interface ApplyContext {
  current(): StoredInstance[];
  /** Builtin outbound tags ("direct", "block"). */
  builtinTags: string[];
  profiles: {
    list(): Profile[];
    freshId(): string;
    /** Applies the validated plan at once (one store transaction). */
    applyPlan(plan: ProfilePlan): { created: string[]; updated: string[] };
  };
  settings: Settings;
  /** Start created instances whose autoStart is set. */
  startNew: boolean;
}

/**
 * Applies a parsed configuration file. Everything that can be checked is checked before the
 * first change, so an invalid file changes nothing; problems name their path in the file.
 * Order: profiles (created, updated, and pruned ones deleted) and the settings together, with no
 * await between them, so a route naming a profile of the same file is valid and no connection
 * sees a route naming a deleted profile; then pruned instances, then instances.
 */
export async function applyConfigFile(engine: EngineOps, file: ConfigFile, ctx: ApplyContext): Promise<ApplyConfigResult> {
  const problems: string[] = [];
  const profilePlan = planProfiles(file, ctx, problems);
  if (file.settings?.route) {
    // Against the tags that exist once the file is applied (the current route was checked in planProfiles).
    const finalTags = [...ctx.builtinTags, ...profilePlan.upsert.map((u) => u.id), ...profilesKept(ctx, profilePlan)];
    for (const p of validateRouteSettings(Settings.shape.route.parse(file.settings.route), finalTags)) problems.push(`settings.route.${p}`);
  }

  const current = ctx.current();
  const byId = new Map(current.map((r) => [r.id, r]));
  const byName = new Map(current.map((r) => [r.name, r]));
  const seenIds = new Set<string>();
  const seenNames = new Set<string>();
  const plan = file.instances.map((inst, i) => {
    if (inst.id !== undefined) {
      if (seenIds.has(inst.id)) problems.push(`instances[${i}].id: duplicate id "${inst.id}"`);
      seenIds.add(inst.id);
    }
    if (seenNames.has(inst.name)) problems.push(`instances[${i}].name: duplicate name "${inst.name}"`);
    seenNames.add(inst.name);
    for (const p of specProblems(inst.spec)) problems.push(`instances[${i}].spec.${p}`);
    const target = inst.id !== undefined ? byId.get(inst.id) : byName.get(inst.name);
    return { inst, target, index: i };
  });
  const matched = new Set(plan.flatMap((p) => (p.target ? [p.target.id] : [])));
  const pruned = file.prune ? current.filter((r) => !matched.has(r.id)) : [];
  const prunedIds = new Set(pruned.map((r) => r.id));
  for (const { inst, target, index } of plan) {
    const holder = byName.get(inst.name);
    if (holder && holder.id !== target?.id && !prunedIds.has(holder.id) && !matched.has(holder.id)) {
      problems.push(`instances[${index}].name: "${inst.name}" is already used by instance ${holder.id}`);
    }
  }
  if (problems.length) throw new CoreError('E_CONFIG_INVALID', problems.join('; '), { data: { problems } });

  const result: ApplyConfigResult = { created: [], updated: [], deleted: [] };
  const profiles = ctx.profiles.applyPlan(profilePlan);
  result.created.push(...profiles.created);
  result.updated.push(...profiles.updated);
  result.deleted.push(...profilePlan.delete);
  if (file.settings) engine.updateSettings(file.settings as MethodParsed<'updateSettings'>);
  for (const r of pruned) {
    await engine.deleteInstance({ id: r.id });
    result.deleted.push(r.id);
  }
  for (const { inst, target } of plan) {
    if (!target) {
      const created = await engine.createInstance({
        id: inst.id, name: inst.name, autoStart: inst.autoStart, spec: inst.spec, meta: inst.meta, start: ctx.startNew && inst.autoStart,
      });
      result.created.push(created.id);
      continue;
    }
    const same = target.name === inst.name && target.autoStart === inst.autoStart && JSON.stringify(target.spec) === JSON.stringify(inst.spec)
      && (inst.meta === undefined || JSON.stringify(target.meta ?? {}) === JSON.stringify(inst.meta));
    if (same) continue;
    await engine.updateInstance({ id: target.id, name: inst.name, autoStart: inst.autoStart, spec: inst.spec, meta: inst.meta });
    result.updated.push(target.id);
  }
  return result;
}

/** The current state in the configuration-file format (what `relaydesk export` prints). */
export function exportConfigFile(settings: Settings, profiles: Profile[], instances: StoredInstance[]): ConfigFile {
  return {
    version: 1,
    prune: false,
    // The master API key and id stay out of exports (null = keep the current ones when applied).
    settings: { route: settings.route, logLevel: settings.logLevel, masterApi: { ...settings.masterApi, key: null, mid: null } },
    profiles: profiles.map((p) => ({ id: p.id, name: p.name, spec: p.spec })),
    instances: instances.map((r) => ({
      id: r.id, name: r.name, autoStart: r.autoStart, spec: r.spec as ConfigFile['instances'][number]['spec'],
      ...(hasMeta(r.meta) ? { meta: r.meta as ConfigFile['instances'][number]['meta'] } : {}),
    })),
  };
}

function hasMeta(meta: unknown): boolean {
  const m = meta as { peer?: Record<string, string>; tags?: Record<string, string> } | undefined;
  return !!m && (Object.values(m.peer ?? {}).some((v) => v !== '') || Object.keys(m.tags ?? {}).length > 0);
}

/**
 * Matches the file's profiles to existing ones (by id, else by name), gives new ones an id, and
 * lists the pruned ones. Names must be unique in the final state (swaps within the file are fine).
 */
function planProfiles(file: ConfigFile, ctx: ApplyContext, problems: string[]): ProfilePlan {
  const current = ctx.profiles.list();
  const byId = new Map(current.map((p) => [p.id, p]));
  const byName = new Map(current.map((p) => [p.name, p]));
  const builtin = new Set(ctx.builtinTags);
  const seenIds = new Set<string>();
  const seenNames = new Set<string>();
  const upsert: ProfilePlan['upsert'] = [];
  file.profiles.forEach((p, i) => {
    if (p.id !== undefined) {
      if (builtin.has(p.id)) problems.push(`profiles[${i}].id: "${p.id}" is a builtin outbound tag`);
      if (seenIds.has(p.id)) problems.push(`profiles[${i}].id: duplicate id "${p.id}"`);
      seenIds.add(p.id);
    }
    if (seenNames.has(p.name)) problems.push(`profiles[${i}].name: duplicate name "${p.name}"`);
    seenNames.add(p.name);
    const target = p.id !== undefined ? byId.get(p.id) : byName.get(p.name);
    upsert.push({ id: target?.id ?? p.id ?? '', name: p.name, spec: p.spec, exists: target !== undefined });
  });
  const matched = new Set(upsert.filter((u) => u.exists).map((u) => u.id));
  const toDelete = file.prune ? current.filter((p) => !matched.has(p.id)).map((p) => p.id) : [];
  const gone = new Set(toDelete);
  upsert.forEach((u, i) => {
    const holder = byName.get(u.name);
    if (holder && holder.id !== u.id && !gone.has(holder.id) && !matched.has(holder.id)) {
      problems.push(`profiles[${i}].name: "${u.name}" is already used by profile ${holder.id}`);
    }
  });
  const taken = new Set([...current.map((p) => p.id), ...seenIds]);
  for (const u of upsert) {
    if (u.id !== '') continue;
    let id = ctx.profiles.freshId();
    while (taken.has(id)) id = ctx.profiles.freshId();
    taken.add(id);
    u.id = id;
  }
  if (!file.settings?.route) {
    for (const id of toDelete) {
      const uses = routeUses(ctx.settings.route, id);
      if (uses.length > 0) problems.push(`prune: profile ${id} would be deleted but settings route.${uses.join(', route.')} names it`);
    }
  }
  return { delete: toDelete, upsert };
}

/** Existing profiles that survive the plan (neither pruned nor in the file). */
function profilesKept(ctx: ApplyContext, plan: ProfilePlan): string[] {
  const gone = new Set(plan.delete);
  const listed = new Set(plan.upsert.map((u) => u.id));
  return ctx.profiles.list().filter((p) => !gone.has(p.id) && !listed.has(p.id)).map((p) => p.id);
}
