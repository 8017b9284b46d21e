import { formatInstanceUrl, parseInstanceUrl } from '../../codec/nodepass-url';
import type { Logger } from '../../log/logger';
import { coreMethods, CoreError, type CoreMethodName, type Instance, type MethodInput, type MethodOutput } from '../../rpc';
import type { EngineLike } from '../rpc-route';
import type { NpEventHub } from './events';
import { goDecode, GoDecodeError, goFields, goLen } from './go-compat';
import { API_KEY_ID, isNodePass, keyInstance, randomHex, toNpInstance } from './model';
import type { z } from 'zod';
import { CreateInstanceRequest, NP_ACTIONS, PutInstanceRequest, UpdateInstanceRequest, type NpInstance } from './schemas';

/** A NodePass-style failure: `{"error": message}` with this status. */
export class NpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** What the instance handlers need. */
export interface NpContext {
  engine: EngineLike;
  log: Logger;
  hub: NpEventHub;
}

/** NodePass's master defaults for URL enhancement (our master has log=info, no TLS). */
const MASTER_DEFAULTS = { log: 'info' } as const;
const MAX_LEN = 256;

/** GET /instances: the `********` entry first, then the tunnel instances in creation order. */
export async function listNpInstances(ctx: NpContext): Promise<NpInstance[]> {
  const [settings, views] = await Promise.all([ctx.engine.getSettings(undefined), ctx.engine.listInstances(undefined)]);
  return [keyInstance(settings.masterApi), ...views.filter(isNodePass).map(toNpInstance)];
}

/** POST /instances → 201. */
export async function createNpInstance(ctx: NpContext, raw: Buffer | undefined): Promise<NpInstance> {
  const req = decodeOrNull(raw, CreateInstanceRequest, ['alias', 'url']);
  if (!req || req.url === '') throw new NpError(400, 'Invalid request body');
  const url = enhance(req.url);
  const existing = await ctx.engine.listInstances(undefined);
  const id = randomHex(4);
  if (existing.some((v) => v.id === id)) throw new NpError(409, 'Instance ID already exists');
  const alias = req.alias ?? '';
  checkAlias(alias, existing);
  const created = await invoke(ctx, 'createInstance', {
    id, name: alias === '' ? id : alias, autoStart: true, start: false, spec: { type: 'nodepass', url },
  });
  ctx.log.info(`master API: instance ${id} created: ${url}`);
  await attempt(ctx, id, 'start', () => invoke(ctx, 'startInstance', { id }));
  return npView(ctx, id, created);
}

/** GET /instances/{id}. */
export async function getNpInstance(ctx: NpContext, id: string): Promise<NpInstance> {
  if (id === API_KEY_ID) return keyInstance((await ctx.engine.getSettings(undefined)).masterApi);
  return toNpInstance(await findTunnel(ctx, id));
}

/** PATCH /instances/{id}: alias, action, restart, meta, applied in NodePass's order; bad JSON changes nothing. */
export async function patchNpInstance(ctx: NpContext, id: string, raw: Buffer | undefined): Promise<NpInstance> {
  if (id === API_KEY_ID) {
    const req = decodeOrNull(raw, UpdateInstanceRequest, ['alias', 'action', 'restart', 'meta']);
    const settings = await ctx.engine.getSettings(undefined);
    if (req?.action !== 'restart') return keyInstance(settings.masterApi);
    const next = await invoke(ctx, 'updateSettings', { masterApi: { ...settings.masterApi, key: randomHex(16) } });
    ctx.log.info('master API: API key regenerated');
    return keyInstance(next.masterApi);
  }
  let view: Instance = await findTunnel(ctx, id);
  const req = decodeOrNull(raw, UpdateInstanceRequest, ['alias', 'action', 'restart', 'meta'], (o) => ({
    ...o, meta: o.meta === undefined ? undefined : metaFields(o.meta),
  }));
  if (!req) return toNpInstance(view);
  const current = toNpInstance(view);
  if (req.alias !== undefined && req.alias !== '' && req.alias !== current.alias) {
    if (goLen(req.alias) > MAX_LEN) throw new NpError(400, `Instance alias exceeds maximum length ${MAX_LEN}`);
    checkAlias(req.alias, await ctx.engine.listInstances(undefined), id);
    view = await invoke(ctx, 'updateInstance', { id, name: req.alias });
  }
  if (req.action !== undefined && req.action !== '') {
    if (!(NP_ACTIONS as readonly string[]).includes(req.action)) throw new NpError(400, `Invalid action: ${req.action}`);
    view = await runAction(ctx, view, req.action as (typeof NP_ACTIONS)[number]);
  }
  if (req.restart !== undefined && req.restart !== view.autoStart) {
    view = await invoke(ctx, 'updateInstance', { id, autoStart: req.restart });
  }
  if (req.meta !== undefined) {
    const { peer, tags } = req.meta;
    if (peer) {
      for (const k of ['sid', 'type', 'alias'] as const) {
        if (goLen(peer[k]) > MAX_LEN) throw new NpError(400, `Meta peer.${k} exceeds maximum length ${MAX_LEN}`);
      }
    }
    if (tags) {
      // JSON objects cannot repeat a key once parsed (the last wins, as in Go), so NodePass's duplicate check never fires.
      for (const [k, v] of Object.entries(tags)) {
        if (goLen(k) > MAX_LEN) throw new NpError(400, `Meta tag key exceeds maximum length ${MAX_LEN}`);
        if (goLen(v) > MAX_LEN) throw new NpError(400, `Meta tag value exceeds maximum length ${MAX_LEN}`);
        if (k === '') throw new NpError(400, 'Meta tag key cannot be empty');
      }
    }
    view = await invoke(ctx, 'updateInstance', { id, meta: { peer: peer ?? view.meta.peer, tags: tags ?? view.meta.tags } });
  }
  return npView(ctx, id, view);
}

/** PUT /instances/{id} {url}: replaces the URL and (re)starts the instance, as NodePass does. */
export async function putNpInstance(ctx: NpContext, id: string, raw: Buffer | undefined): Promise<NpInstance> {
  if (id === API_KEY_ID) throw new NpError(403, 'Forbidden: API Key');
  const view = await findTunnel(ctx, id);
  const req = decodeOrNull(raw, PutInstanceRequest, ['url']);
  if (!req || req.url === '') throw new NpError(400, 'Invalid request body');
  const url = enhance(req.url);
  const parsedCurrent = parseInstanceUrl(view.spec.url);
  const currentUrl = parsedCurrent.ok ? formatInstanceUrl(parsedCurrent.url, MASTER_DEFAULTS) : view.spec.url;
  if (url === currentUrl || url === view.spec.url) throw new NpError(409, 'Instance URL conflict');
  const updated = await invoke(ctx, 'updateInstance', { id, spec: { type: 'nodepass', url } });
  ctx.log.info(`master API: instance ${id} URL updated: ${url}`);
  if (updated.state !== 'running' && updated.state !== 'starting') await attempt(ctx, id, 'start', () => invoke(ctx, 'startInstance', { id }));
  return npView(ctx, id, updated);
}

/** DELETE /instances/{id} → 204. */
export async function deleteNpInstance(ctx: NpContext, id: string): Promise<void> {
  if (id === API_KEY_ID) throw new NpError(403, 'Forbidden: API Key');
  await findTunnel(ctx, id);
  await invoke(ctx, 'deleteInstance', { id });
}

async function runAction(ctx: NpContext, view: Instance, action: (typeof NP_ACTIONS)[number]): Promise<Instance> {
  const { id } = view;
  switch (action) {
    case 'reset': return invoke(ctx, 'resetInstanceTraffic', { id });
    case 'start':
      if (view.state === 'running' || view.state === 'starting') return view;
      return attempt(ctx, id, action, () => invoke(ctx, 'startInstance', { id }));
    case 'stop':
      if (view.state === 'stopped') return view;
      return attempt(ctx, id, action, () => invoke(ctx, 'stopInstance', { id }));
    case 'restart': return attempt(ctx, id, action, () => invoke(ctx, 'restartInstance', { id }));
  }
}

/** start/stop/restart run "in the background" in NodePass: a failure shows in the status, not as an HTTP error. */
async function attempt(ctx: NpContext, id: string, what: string, run: () => Promise<Instance>): Promise<Instance> {
  try {
    return await run();
  } catch (err) {
    ctx.log.warn(`master API: ${what} of instance ${id} failed: ${(err as Error).message}`);
    return invoke(ctx, 'getInstance', { id });
  }
}

async function npView(ctx: NpContext, id: string, fallback: Instance): Promise<NpInstance> {
  return toNpInstance(await invoke(ctx, 'getInstance', { id }).catch(() => fallback));
}

async function findTunnel(ctx: NpContext, id: string): Promise<Instance & { spec: { type: 'nodepass' } }> {
  const all = await ctx.engine.listInstances(undefined);
  const v = all.find((i) => i.id === id);
  if (!v || v.spec.type !== 'nodepass') throw new NpError(404, 'Instance not found');
  return v as Instance & { spec: { type: 'nodepass' } };
}

/** Engine names are unique and non-empty; NodePass aliases are neither, hence this documented 409/400. */
function checkAlias(alias: string, all: Instance[], self?: string): void {
  if (alias === '') return;
  if (alias.trim() === '' || alias.trim().length > 128) throw new NpError(400, 'Instance alias must be 1-128 characters and not blank here');
  if (all.some((v) => v.id !== self && v.name === alias.trim())) throw new NpError(409, `Instance alias already in use: ${alias}`);
}

/** The URL as NodePass stores it; 400 `Invalid URL scheme` / `Invalid URL format: <part>`. */
function enhance(text: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme !== 'server' && scheme !== 'client') throw new NpError(400, 'Invalid URL scheme');
  const parsed = parseInstanceUrl(text);
  if (!parsed.ok) throw new NpError(400, `Invalid URL format: ${parsed.error}`);
  return formatInstanceUrl(parsed.url, MASTER_DEFAULTS);
}

function metaFields(meta: unknown): unknown {
  const m = goFields(meta, ['peer', 'tags']);
  return { ...m, peer: m.peer === undefined ? undefined : goFields(m.peer, ['sid', 'type', 'alias']) };
}

/** Decodes like encoding/json into the request struct; null when Go's Decode would return an error. */
function decodeOrNull<S extends z.ZodType>(
  raw: Buffer | undefined, schema: S, fields: readonly string[], nested: (o: Record<string, unknown>) => unknown = (o) => o,
): z.output<S> | null {
  try {
    const parsed = schema.safeParse(nested(goDecode(raw, fields)));
    return parsed.success ? parsed.data : null;
  } catch (err) {
    if (err instanceof GoDecodeError) return null;
    throw err;
  }
}

async function invoke<M extends CoreMethodName>(ctx: NpContext, m: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const parsed = coreMethods[m].input.safeParse(input);
  if (!parsed.success) throw new NpError(400, `Invalid input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  try {
    return await (ctx.engine[m] as (i: unknown) => MethodOutput<M> | Promise<MethodOutput<M>>).call(ctx.engine, parsed.data);
  } catch (err) {
    if (!(err instanceof CoreError)) throw err;
    switch (err.code) {
      case 'E_NOT_FOUND': throw new NpError(404, 'Instance not found');
      case 'E_CONFIG_CONFLICT': throw new NpError(409, err.message);
      case 'E_CONFIG_INVALID': case 'E_STATE_TRANSITION': throw new NpError(400, err.message);
      default: throw err;
    }
  }
}
