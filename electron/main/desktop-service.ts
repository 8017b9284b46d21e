import { CoreError, messagePortChannel, type Disposable, type EventSource, type Rpc } from '../../core/rpc';
import {
  serveDesktop, type DesktopApiImpl, type DesktopEvents, type DesktopMethodParsed, type DesktopState,
} from '../../core/rpc/desktop';
import type { MessageChannelFactory, MessagePortLike } from './api-types';
import type { AutoStart } from './autostart';
import type { PortBroker, PortLease } from './core-host';
import { desktopPrefs, prefsPatch, type PrefsStore } from './prefs';
import type { ProxyTarget, SystemProxy } from './sysproxy';

export interface DesktopServiceOptions {
  prefs: PrefsStore;
  systemProxy: SystemProxy;
  autoStart: AutoStart;
  /** The local mixed proxy the system proxy should point at; null while unknown. */
  proxyTarget: () => ProxyTarget | null;
  channels: MessageChannelFactory;
  /** Starts the app's quit sequence. */
  quit: () => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * The shell's side of the desktop contract: system proxy, auto-start and preferences, served to
 * each window over its own MessagePort (serveDesktop) and used directly by the tray.
 */
export class DesktopService implements DesktopApiImpl, EventSource<DesktopEvents>, PortBroker {
  private state: DesktopState;
  private readonly listeners = new Set<(s: DesktopState) => void>();
  private readonly served = new Set<Rpc<unknown, unknown>>();
  private readonly offPrefs: Disposable;
  /** Where we last pointed the OS (kept when the engine is briefly gone). */
  private pointedAt: ProxyTarget | null = null;

  constructor(private readonly o: DesktopServiceOptions) {
    const target = o.proxyTarget();
    this.state = {
      systemProxy: { enabled: false, host: target?.host ?? null, port: target?.port ?? null, supported: o.systemProxy.supported },
      autoStart: { enabled: false, supported: o.autoStart.supported },
      prefs: desktopPrefs(o.prefs.get()),
    };
    this.offPrefs = o.prefs.onChange((p) => this.publish({ ...this.state, prefs: desktopPrefs(p) }));
  }

  get current(): DesktopState { return this.state; }

  on<K extends keyof DesktopEvents & string>(event: K, handler: (data: DesktopEvents[K]) => void): Disposable {
    if (event !== 'desktop') return () => undefined;
    this.listeners.add(handler);
    return () => { this.listeners.delete(handler); };
  }

  /** Re-reads the OS: does the system proxy point at us, is the login item there. */
  async refresh(): Promise<DesktopState> {
    const target = this.pointedAt ?? this.o.proxyTarget();
    const [sp, autoStart] = await Promise.all([
      this.o.systemProxy.status(target),
      this.o.autoStart.isEnabled().catch(() => false),
    ]);
    this.publish({
      ...this.state,
      systemProxy: { enabled: sp.enabled, host: target?.host ?? null, port: target?.port ?? null, supported: sp.supported, ...(sp.error ? { error: sp.error } : {}) },
      autoStart: { enabled: autoStart, supported: this.o.autoStart.supported },
    });
    return this.state;
  }

  getDesktopState(): Promise<DesktopState> { return this.refresh(); }

  async setSystemProxy(input: DesktopMethodParsed<'setSystemProxy'>): Promise<DesktopState> {
    try {
      if (input.enabled) {
        const local = this.o.proxyTarget();
        const host = input.host ?? local?.host;
        const port = input.port ?? local?.port;
        if (!host || !port) throw new CoreError('E_STATE_TRANSITION', 'no local proxy is running to point the system proxy at');
        await this.o.systemProxy.enable({ host, port });
        this.pointedAt = { host, port };
      } else {
        await this.o.systemProxy.disable();
        this.pointedAt = null;
      }
      this.o.prefs.update({ systemProxyOnLaunch: input.enabled });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.o.log?.('warn', `system proxy: ${message}`);
      await this.refresh();
      this.publish({ ...this.state, systemProxy: { ...this.state.systemProxy, error: message } });
      throw err;
    }
    return this.refresh();
  }

  /**
   * Keeps the system proxy on the local proxy's current address while the user wants it on:
   * at launch once the engine reports its address, and when that address changes.
   */
  async syncSystemProxy(): Promise<void> {
    const target = this.o.proxyTarget();
    if (!this.o.prefs.get().systemProxyOnLaunch || !target || !this.o.systemProxy.supported) return;
    if (this.pointedAt && this.pointedAt.host === target.host && this.pointedAt.port === target.port) return;
    await this.setSystemProxy({ enabled: true, ...target }).catch(() => undefined);
  }

  async setAutoStart({ enabled }: DesktopMethodParsed<'setAutoStart'>): Promise<DesktopState> {
    if (!this.o.autoStart.supported) throw new CoreError('E_STATE_TRANSITION', 'auto-start is not supported on this platform');
    await this.o.autoStart.setEnabled(enabled);
    return this.refresh();
  }

  updatePrefs(patch: DesktopMethodParsed<'updatePrefs'>): DesktopState {
    this.o.prefs.update(prefsPatch(patch));
    return this.state;
  }

  quit(): { ok: true } {
    // Answer first: the quit sequence closes this very port.
    setTimeout(() => this.o.quit(), 0);
    return { ok: true };
  }

  /** On quit: puts back the user's proxy settings if we replaced them (the preference is kept for next launch). */
  async restoreSystemProxy(): Promise<void> {
    try {
      if (await this.o.systemProxy.restoreReplaced()) this.pointedAt = null;
    } catch (err) {
      this.o.log?.('error', `could not restore the system proxy settings: ${(err as Error).message}`);
    }
  }

  /** One desktop session per issue(): a new pair, port1 served here, port2 to the consumer. */
  attach(deliver: (port: MessagePortLike) => void): PortLease {
    let rpc: Rpc<unknown, unknown> | null = null;
    let disposed = false;
    const end = (): void => {
      if (rpc) { this.served.delete(rpc); rpc.close(); rpc = null; }
    };
    return {
      issue: () => {
        if (disposed) return;
        end();
        const { port1, port2 } = this.o.channels.create();
        const session = serveDesktop(messagePortChannel(port1), this, this);
        rpc = session;
        this.served.add(session);
        session.onClose(() => this.served.delete(session));
        deliver(port2);
      },
      dispose: () => { disposed = true; end(); },
    };
  }

  close(): void {
    this.offPrefs();
    for (const rpc of this.served) rpc.close();
    this.served.clear();
    this.listeners.clear();
  }

  private publish(next: DesktopState): void {
    if (JSON.stringify(next) === JSON.stringify(this.state)) return;
    this.state = next;
    for (const l of this.listeners) l(next);
  }
}
