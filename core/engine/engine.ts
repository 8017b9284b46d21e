import os from 'node:os';
import type { InstanceContext, Outbound, Router } from '../adapter';
import { fetchText } from '../common/fetch-text';
import { connIdGenerator, newId } from '../common/ids';
import { LogBus, type Logger } from '../log/logger';
import { createRelay, createRouter, validateRouteSettings } from '../route';
import { nativeAvailable } from '../route/splice';
import {
  CoreError, EMPTY_META, PROTOCOL_VERSION, Settings, type InstanceSpec, type ApplyConfigResult, type ConfigFile, type CoreApiImpl,
  type CoreEvents, type Disposable, type EventSource, type ImportResult, type Instance, type Latency, type LogEntry,
  type MethodParsed, type Profile,
} from '../rpc';
import { StatsCollector } from '../stats/collector';
import { Store, type StoredInstance } from '../store/store';
import { applyConfigFile, exportConfigFile } from './config';
import { builtinOutbounds, createProfileOutbound, createRunner, specProblems } from './builtin';
import { DEFAULT_CONFIG } from './defaults';
import { EventBus } from './event-bus';
import { InstanceController } from './instance';
import { importProfileText } from './profile-import';
import { measureLatency } from './profile-latency';
import { profileLink } from './profile-link';
import { ProfileRegistry } from './profiles';
import { withMasterIdentity } from './master-identity';
import { TunnelBook } from './tunnels';
import { RelayUsers } from './users';

export interface EngineOptions {
  dataDir: string;
  /** Reported by getInfo. @default "0.0.0-dev" */
  version?: string;
  /** On a brand-new data dir, create the embedded default (local proxy on 127.0.0.1:7890). @default false */
  seedDefaults?: boolean;
  /** Mirror every log entry (stderr in `serve`). */
  logEcho?: (entry: LogEntry) => void;
  /** Start the instances marked autoStart (false for one-shot tools such as `export`). @default true */
  autoStart?: boolean;
  /** Stats tick period. @default 1000 */
  statsIntervalMs?: number;
  /** How often running tunnels re-emit their figures. @default 5000 (NodePass's CHECK_POINT period) */
  tunnelCheckpointMs?: number;
}

const SETTINGS_KEY = 'settings';
const SEEDED_KEY = 'seeded';

/** The engine: implements CoreApi; every face (RPC, HTTP APIs, CLI) calls these methods. */
export class Engine implements CoreApiImpl, EventSource<CoreEvents> {
  readonly logs: LogBus;
  readonly log: Logger;
  /** True when this data dir had never been used. */
  readonly firstRun: boolean;
  private readonly bus: EventBus<CoreEvents>;
  private readonly instances = new Map<string, InstanceController>();
  private readonly outbounds: Map<string, Outbound>;
  private readonly profiles: ProfileRegistry;
  private readonly users = new RelayUsers({ get: (id) => this.get(id), persist: (rec) => this.store.instances.update(rec) });
  private readonly stats: StatsCollector;
  private readonly tunnels: TunnelBook;
  private readonly relay: ReturnType<typeof createRelay>;
  private readonly router: Router;
  private readonly nextConnId = connIdGenerator();
  private readonly startedAt = Date.now();
  private settings: Settings;
  private closing: Promise<void> | null = null;

  private constructor(private readonly store: Store, private readonly options: EngineOptions) {
    this.bus = new EventBus<CoreEvents>((err) => this.log.error(`event listener failed: ${(err as Error).message}`));
    this.logs = new LogBus({ echo: options.logEcho });
    this.log = this.logs.logger('engine');
    this.logs.onEntry((e) => this.bus.emit('log', e));
    this.firstRun = store.settings.get(SEEDED_KEY) === undefined;
    this.settings = this.loadSettings();
    this.logs.setLevel(this.settings.logLevel);
    this.outbounds = builtinOutbounds(this.logs.logger('outbound'));
    this.profiles = new ProfileRegistry({
      store, bus: this.bus, log: this.logs.logger('profiles'), reserved: new Set(this.outbounds.keys()),
      route: () => this.settings.route, createOutbound: createProfileOutbound,
    });
    // Builtin tags first, then profile ids (a profile can never shadow "direct" or "block").
    const outbound = (tag: string) => this.outbounds.get(tag) ?? this.profiles.outbound(tag);
    const router = (this.router = createRouter({ settings: () => this.settings.route, outbound, log: this.logs.logger('route') }));
    this.stats = new StatsCollector({ store, log: this.logs.logger('stats'), intervalMs: options.statsIntervalMs });
    this.relay = createRelay({ router, stats: this.stats, log: this.logs.logger('relay') });
    this.stats.onTick((tick) => this.bus.emit('stats', tick));
    this.bus.on('profileRemoved', ({ id }) => this.stats.forgetOutbound(id));
    this.tunnels = new TunnelBook(this.stats, (id) => {
      const c = this.instances.get(id);
      if (c) this.bus.emit('instance', c.view());
    }, options.tunnelCheckpointMs);
    for (const rec of store.instances.list()) this.instances.set(rec.id, this.controller(rec));
  }

  /** Opens the store (E_STORE_LOCKED if another RelayDesk uses the dir) and starts auto-start instances. */
  static async open(options: EngineOptions): Promise<Engine> {
    const store = Store.open(options.dataDir);
    const engine = new Engine(store, options);
    try {
      if (engine.firstRun) {
        if (options.seedDefaults) await engine.applyConfig(DEFAULT_CONFIG, { startNew: false });
        store.settings.set(SEEDED_KEY, Date.now());
      }
      engine.stats.start();
      engine.tunnels.start();
      engine.log.info(`engine started (data dir ${options.dataDir}, native relay ${nativeAvailable() ? 'on' : 'off'})`);
      if (options.autoStart !== false) {
        await Promise.all([...engine.instances.values()].filter((c) => c.record.autoStart).map((c) => c.start()));
      }
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  on<K extends keyof CoreEvents & string>(event: K, handler: (data: CoreEvents[K]) => void): Disposable {
    return this.bus.on(event, handler);
  }

  /** Stops every instance, flushes stats and closes the store. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.instances.values()].map((c) => c.stop().catch(() => undefined)));
      this.relay.closeAll('engine shutdown');
      this.tunnels.close();
      this.profiles.close();
      this.stats.close();
      this.store.close();
    })();
    return this.closing;
  }

  getInfo() {
    return {
      version: this.options.version ?? '0.0.0-dev', protocol: PROTOCOL_VERSION, pid: process.pid,
      dataDir: this.store.dataDir, startedAt: this.startedAt, platform: process.platform,
      arch: os.arch(), node: process.versions.node, nativeRelay: nativeAvailable(),
    };
  }

  listInstances(): Instance[] { return [...this.instances.values()].map((c) => c.view()); }
  getInstance({ id }: MethodParsed<'getInstance'>): Instance { return this.get(id).view(); }

  async createInstance(input: MethodParsed<'createInstance'>): Promise<Instance> {
    const id = input.id ?? this.freshId();
    if (this.instances.has(id)) throw new CoreError('E_CONFIG_CONFLICT', `an instance with id "${id}" already exists`);
    this.assertNameFree(input.name);
    assertSpecValid(input.spec);
    const now = Date.now();
    const rec: StoredInstance = {
      id, name: input.name, type: input.spec.type, spec: input.spec, meta: input.meta ?? EMPTY_META, autoStart: input.autoStart, createdAt: now, updatedAt: now,
    };
    this.store.instances.insert(rec);
    const c = this.controller(rec);
    this.instances.set(id, c);
    this.log.info(`instance "${rec.name}" created (${rec.type})`);
    this.bus.emit('instance', c.view());
    return input.start ? c.start() : c.view();
  }

  async updateInstance(input: MethodParsed<'updateInstance'>): Promise<Instance> {
    const c = this.get(input.id);
    if (input.name !== undefined && input.name !== c.record.name) this.assertNameFree(input.name);
    if (input.spec) assertSpecValid(input.spec);
    const spec = input.spec ?? c.record.spec;
    const specChanged = input.spec !== undefined && JSON.stringify(input.spec) !== JSON.stringify(c.record.spec);
    const rec: StoredInstance = {
      ...c.record, name: input.name ?? c.record.name, autoStart: input.autoStart ?? c.record.autoStart,
      spec, type: (spec as { type: string }).type, meta: input.meta ?? c.record.meta, updatedAt: Date.now(),
    };
    this.store.instances.update(rec);
    return c.update(rec, specChanged);
  }

  async deleteInstance({ id }: MethodParsed<'deleteInstance'>): Promise<{ id: string }> {
    const c = this.get(id);
    await c.stop();
    this.store.instances.delete(id);
    this.instances.delete(id);
    this.stats.forgetInstance(id);
    this.tunnels.forget(id);
    this.log.info(`instance "${c.record.name}" deleted`);
    this.bus.emit('instanceRemoved', { id });
    return { id };
  }

  startInstance({ id }: MethodParsed<'startInstance'>): Promise<Instance> { return this.get(id).start(); }
  stopInstance({ id }: MethodParsed<'stopInstance'>): Promise<Instance> { return this.get(id).stop(); }
  restartInstance({ id }: MethodParsed<'restartInstance'>): Promise<Instance> { return this.get(id).restart(); }

  resetInstanceTraffic({ id }: MethodParsed<'resetInstanceTraffic'>): Instance {
    const c = this.get(id);
    if (c.spec.type !== 'nodepass') throw new CoreError('E_CONFIG_INVALID', `instance "${c.record.name}" is not a tunnel (its type is ${c.spec.type})`);
    this.tunnels.reset(id);
    const view = c.view();
    this.bus.emit('instance', view);
    return view;
  }

  listProfiles(): Profile[] { return this.profiles.list(); }
  createProfile(input: MethodParsed<'createProfile'>): Profile { return this.profiles.create(input); }
  updateProfile(input: MethodParsed<'updateProfile'>): Profile { return this.profiles.update(input); }
  deleteProfile({ id }: MethodParsed<'deleteProfile'>): { id: string } { return this.profiles.delete(id); }
  importProfiles({ text }: MethodParsed<'importProfiles'>): ImportResult { return importProfileText(this.profiles, text, null); }
  exportProfileLink({ id }: MethodParsed<'exportProfileLink'>): { link: string } { return { link: profileLink(this.profiles.get(id)) }; }

  /** Fetches the URL (10 s, 3 redirects, 4 MiB) and imports it with `source` = the URL. */
  async importSubscription({ url }: MethodParsed<'importSubscription'>): Promise<ImportResult> {
    return importProfileText(this.profiles, await fetchText(url), url);
  }

  /** Never throws for a dead server: the failed step is null and `error` says why. */
  async testProfile({ id, url, timeoutMs }: MethodParsed<'testProfile'>): Promise<Latency> {
    const p = this.profiles.get(id);
    const latency = await measureLatency(p.spec, {
      outbound: this.profiles.outbound(id)!, direct: this.outbounds.get('direct')!, url, timeoutMs, connId: `test-${this.nextConnId()}`,
    });
    this.profiles.setLatency(id, latency);
    return latency;
  }

  getSettings(): Settings { return this.settings; }

  updateSettings(patch: MethodParsed<'updateSettings'>): Settings {
    const next = withMasterIdentity(Settings.parse({ ...this.settings, ...stripUndefined(patch) }), this.settings);
    const problems = validateRouteSettings(next.route, [...this.outbounds.keys(), ...this.profiles.ids()]);
    if (problems.length) throw new CoreError('E_CONFIG_INVALID', problems.map((p) => `route.${p}`).join('; '));
    this.store.settings.set(SETTINGS_KEY, next);
    this.settings = next;
    this.logs.setLevel(next.logLevel);
    this.bus.emit('settings', next);
    return next;
  }

  listConnections({ instanceId }: MethodParsed<'listConnections'>) { return this.stats.connections(instanceId); }

  closeConnection({ id }: MethodParsed<'closeConnection'>): { id: string } {
    if (!this.stats.closeConnection(id)) throw new CoreError('E_NOT_FOUND', `connection ${id} is not open`);
    return { id };
  }

  closeAllConnections({ instanceId }: MethodParsed<'closeAllConnections'>) { return { closed: this.stats.closeAll(instanceId) }; }
  getStats() { return this.stats.latest(); }
  getHistory({ range, scope }: MethodParsed<'getHistory'>) { return this.stats.history(range, scope); }
  resetCounters(): { ok: true } {
    this.stats.resetCounters();
    this.tunnels.resetAll();
    return { ok: true };
  }
  getLogs(filter: MethodParsed<'getLogs'>) { return this.logs.entries(filter); }

  exportConfig(): ConfigFile { return exportConfigFile(this.settings, this.profiles.list(), this.store.instances.list()); }

  /** Validates the whole file first (names, ids, outbound tags); then applies it in order. */
  async applyConfig(file: MethodParsed<'applyConfig'>, opts: { startNew?: boolean } = {}): Promise<ApplyConfigResult> {
    return applyConfigFile(this, file, {
      current: () => [...this.instances.values()].map((c) => c.record),
      builtinTags: [...this.outbounds.keys()],
      profiles: this.profiles,
      settings: this.settings,
      startNew: opts.startNew ?? true,
    });
  }

  listUsers(input: MethodParsed<'listUsers'>) { return this.users.list(input); }
  getUser(input: MethodParsed<'getUser'>) { return this.users.get(input); }
  createUser(input: MethodParsed<'createUser'>) { return this.users.create(input); }
  updateUser(input: MethodParsed<'updateUser'>) { return this.users.update(input); }
  deleteUser(input: MethodParsed<'deleteUser'>) { return this.users.delete(input); }
  rotateUserUuid(input: MethodParsed<'rotateUserUuid'>) { return this.users.rotate(input); }
  setUserEnabled(input: MethodParsed<'setUserEnabled'>) { return this.users.setEnabled(input); }
  resetUserQuota(input: MethodParsed<'resetUserQuota'>) { return this.users.resetQuota(input); }

  private get(id: string): InstanceController {
    const c = this.instances.get(id);
    if (!c) throw new CoreError('E_NOT_FOUND', `no instance with id "${id}"`);
    return c;
  }

  private assertNameFree(name: string): void {
    for (const c of this.instances.values()) {
      if (c.record.name === name) throw new CoreError('E_CONFIG_CONFLICT', `an instance named "${name}" already exists`);
    }
  }

  private freshId(): string {
    let id = newId();
    while (this.instances.has(id)) id = newId();
    return id;
  }

  private loadSettings(): Settings {
    const raw = this.store.settings.get(SETTINGS_KEY);
    const parsed = Settings.safeParse(raw ?? {});
    if (parsed.success) {
      const settings = withMasterIdentity(parsed.data, null);
      if (settings !== parsed.data) this.store.settings.set(SETTINGS_KEY, settings);
      return settings;
    }
    // Keep the stored value untouched (it is only replaced when the user saves new settings).
    this.log.warn(`stored settings are invalid, using defaults: ${parsed.error.message}`);
    return withMasterIdentity(Settings.parse({}), null);
  }

  private controller(rec: StoredInstance): InstanceController {
    return new InstanceController(rec, {
      factory: createRunner,
      context: (id) => this.context(id),
      changed: (view) => this.bus.emit('instance', view),
      closeConnections: (id) => this.stats.closeAll(id),
      running: (id, runner) => {
        if (runner === null) this.tunnels.detach(id);
        else if (this.instances.get(id)?.spec.type === 'nodepass') this.tunnels.attach(id, runner);
      },
      tunnel: (id, spec) => (spec.type === 'nodepass' ? this.tunnels.view(id, spec) : null),
      retries: (spec) => spec.type === 'nodepass',
      log: this.log,
    });
  }

  private context(instanceId: string): InstanceContext {
    return {
      instanceId,
      router: this.router,
      relay: this.relay,
      stats: this.stats,
      log: this.logs.logger(`instance:${instanceId}`),
      nextConnId: this.nextConnId,
      accounting: this.stats,
      tunnelPools: () => this.tunnels.poolTotals(),
    };
  }

}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function assertSpecValid(spec: InstanceSpec): void {
  const problems = specProblems(spec);
  if (problems.length) throw new CoreError('E_CONFIG_INVALID', problems.join('; '), { data: { problems } });
}
