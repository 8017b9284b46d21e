import {
  connectCore, messagePortChannel, parseHostPort, type CoreApi, type CoreEvents, type Instance, type Rpc,
  type RouteMode, type Settings,
} from '../../core/rpc';
import type { Disposable, MessagePortLike } from './api-types';
import type { PortBroker, PortLease } from './core-host';

/** What main needs from the engine: the route mode (tray radio) and the local proxy's address. */
export interface CoreView {
  connected: boolean;
  routeMode: RouteMode | null;
  /** The local mixed proxy, reachable from this machine; null when there is none. */
  localProxy: { host: string; port: number } | null;
}

/**
 * Main's own session with the engine, over a port from the CoreHost like any window's. It only
 * brokers control (route mode for the tray, the proxy address for the system proxy); stats and
 * logs never pass through main.
 */
export class CoreClient {
  private rpc: Rpc<CoreApi, CoreEvents> | null = null;
  private lease: PortLease | null = null;
  private settings: Settings | null = null;
  private readonly instances = new Map<string, Instance>();
  private readonly listeners = new Set<(v: CoreView) => void>();
  private snapshot: CoreView = { connected: false, routeMode: null, localProxy: null };

  constructor(private readonly broker: PortBroker, private readonly options: { timeoutMs?: number } = {}) {}

  get view(): CoreView { return this.snapshot; }

  onChange(listener: (v: CoreView) => void): Disposable {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  start(): void {
    if (this.lease) return;
    this.lease = this.broker.attach((port) => this.connect(port));
    this.lease.issue();
  }

  /** Switches global/rule/direct, keeping the rest of the routing settings. */
  async setRouteMode(mode: RouteMode): Promise<void> {
    const rpc = this.live();
    const { route } = await rpc.api.getSettings();
    this.settings = await rpc.api.updateSettings({ route: { ...route, mode } });
    this.publish();
  }

  close(): void {
    this.lease?.dispose();
    this.lease = null;
    const rpc = this.rpc;
    this.rpc = null;
    rpc?.close();
  }

  private live(): Rpc<CoreApi, CoreEvents> {
    if (!this.rpc || this.rpc.closed) throw new Error('the engine is not connected');
    return this.rpc;
  }

  private connect(port: MessagePortLike): void {
    this.rpc?.close();
    const rpc = connectCore(messagePortChannel(port), this.options);
    this.rpc = rpc;
    const mine = (): boolean => this.rpc === rpc;
    rpc.on('settings', (s) => { if (mine()) { this.settings = s; this.publish(); } });
    rpc.on('instance', (i) => { if (mine()) { this.instances.set(i.id, i); this.publish(); } });
    rpc.on('instanceRemoved', ({ id }) => { if (mine() && this.instances.delete(id)) this.publish(); });
    rpc.onClose(() => {
      if (!mine()) return;
      this.rpc = null;
      this.publish();
    });
    void Promise.all([rpc.api.getSettings(), rpc.api.listInstances()]).then(([settings, list]) => {
      if (!mine()) return;
      this.settings = settings;
      this.instances.clear();
      for (const i of list) this.instances.set(i.id, i);
      this.publish();
    }, () => undefined);
  }

  private publish(): void {
    const connected = this.rpc !== null && !this.rpc.closed && this.settings !== null;
    const next: CoreView = {
      connected,
      routeMode: connected ? this.settings!.route.mode : null,
      localProxy: connected ? localProxyAddress([...this.instances.values()]) : null,
    };
    if (JSON.stringify(next) === JSON.stringify(this.snapshot)) return;
    this.snapshot = next;
    for (const l of this.listeners) l(next);
  }
}

/**
 * The address other programs on this machine use for the local proxy: the first mixed instance,
 * preferring a running one's bound address (right even with port 0); wildcard binds become loopback.
 */
export function localProxyAddress(instances: readonly Instance[]): { host: string; port: number } | null {
  const mixed = instances.filter((i): i is Instance & { spec: { type: 'mixed' } } => i.spec.type === 'mixed');
  const running = mixed.find((i) => i.state === 'running' && i.address);
  const pick = running?.address ?? mixed[0]?.spec.listen;
  const hp = pick ? parseHostPort(pick) : null;
  if (!hp || hp.port === 0) return null;
  const host = hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host === '::' ? '::1' : hp.host;
  return { host, port: hp.port };
}
