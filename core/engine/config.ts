import { validateRouteSettings } from '../route';
import { CoreError, Settings, type ApplyConfigResult, type ConfigFile, type MethodParsed } from '../rpc';
import type { StoredInstance } from '../store/store';
import type { Engine } from './engine';

type EngineOps = Pick<Engine, 'createInstance' | 'updateInstance' | 'deleteInstance' | 'updateSettings'>;

export interface ApplyContext {
  current(): StoredInstance[];
  knownOutbounds: string[];
  settings: Settings;
  /** Start created instances whose autoStart is set. */
  startNew: boolean;
}

/**
 * Applies a parsed configuration file. Everything that can be checked is checked before the
 * first change, so an invalid file changes nothing; problems name their path in the file.
 */
export async function applyConfigFile(engine: EngineOps, file: ConfigFile, ctx: ApplyContext): Promise<ApplyConfigResult> {
  const current = ctx.current();
  const byId = new Map(current.map((r) => [r.id, r]));
  const byName = new Map(current.map((r) => [r.name, r]));
  const problems: string[] = [];

  if (file.settings?.route) {
    for (const p of validateRouteSettings(Settings.shape.route.parse(file.settings.route), ctx.knownOutbounds)) problems.push(`settings.route.${p}`);
  }
  const seenIds = new Set<string>();
  const seenNames = new Set<string>();
  const plan = file.instances.map((inst, i) => {
    if (inst.id !== undefined) {
      if (seenIds.has(inst.id)) problems.push(`instances[${i}].id: duplicate id "${inst.id}"`);
      seenIds.add(inst.id);
    }
    if (seenNames.has(inst.name)) problems.push(`instances[${i}].name: duplicate name "${inst.name}"`);
    seenNames.add(inst.name);
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
  if (file.settings) engine.updateSettings(file.settings as MethodParsed<'updateSettings'>);
  for (const r of pruned) {
    await engine.deleteInstance({ id: r.id });
    result.deleted.push(r.id);
  }
  for (const { inst, target } of plan) {
    if (!target) {
      const created = await engine.createInstance({ id: inst.id, name: inst.name, autoStart: inst.autoStart, spec: inst.spec, start: ctx.startNew && inst.autoStart });
      result.created.push(created.id);
      continue;
    }
    const same = target.name === inst.name && target.autoStart === inst.autoStart && JSON.stringify(target.spec) === JSON.stringify(inst.spec);
    if (same) continue;
    await engine.updateInstance({ id: target.id, name: inst.name, autoStart: inst.autoStart, spec: inst.spec });
    result.updated.push(target.id);
  }
  return result;
}

/** The current state in the configuration-file format (what `relaydesk export` prints). */
export function exportConfigFile(settings: Settings, instances: StoredInstance[]): ConfigFile {
  return {
    version: 1,
    prune: false,
    settings: { route: settings.route, logLevel: settings.logLevel },
    instances: instances.map((r) => ({ id: r.id, name: r.name, autoStart: r.autoStart, spec: r.spec as ConfigFile['instances'][number]['spec'] })),
  };
}
