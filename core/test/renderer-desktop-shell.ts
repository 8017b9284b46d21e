// core/rpc's own host globals: the renderer's test program compiles core/rpc from source with DOM
// typings, where clearTimeout(unknown) would not type-check without them.
/// <reference path="../rpc/env.d.ts" />
import {
  serveDesktop, type DesktopApiImpl, type DesktopEvents, type DesktopMethodParsed, type DesktopState,
} from '../rpc/desktop';
import { messagePortChannel } from '../rpc/adapters/message-port';
import type { CoreError } from '../rpc/errors';
import type { Disposable, Rpc } from '../rpc/rpc';

/**
 * The shell's side of the desktop contract for renderer tests: a small DesktopApiImpl that keeps
 * state and pushes `desktop` like main's DesktopService (main's real logic is tested in electron/).
 */
export class RendererFakeShell implements DesktopApiImpl {
  state: DesktopState;
  /** When set, setSystemProxy publishes the error in the state (as main does) and throws it. */
  failSystemProxy: CoreError | null = null;
  quitCalls = 0;
  private readonly listeners = new Set<(s: DesktopState) => void>();

  constructor(over: Partial<DesktopState> = {}) {
    this.state = {
      systemProxy: { enabled: false, host: '127.0.0.1', port: 7890, supported: true },
      autoStart: { enabled: false, supported: true },
      prefs: { theme: 'system', language: 'system', closeToTray: true, startMinimized: false },
      ...over,
    };
  }

  on<K extends keyof DesktopEvents & string>(_event: K, handler: (data: DesktopEvents[K]) => void): Disposable {
    this.listeners.add(handler);
    return () => { this.listeners.delete(handler); };
  }

  publish(next: DesktopState): void {
    this.state = next;
    for (const l of this.listeners) l(next);
  }

  getDesktopState(): DesktopState { return this.state; }

  setSystemProxy({ enabled }: DesktopMethodParsed<'setSystemProxy'>): DesktopState {
    if (this.failSystemProxy) {
      this.publish({ ...this.state, systemProxy: { ...this.state.systemProxy, enabled: false, error: this.failSystemProxy.message } });
      throw this.failSystemProxy;
    }
    const { error: _dropped, ...rest } = this.state.systemProxy;
    this.publish({ ...this.state, systemProxy: { ...rest, enabled } });
    return this.state;
  }

  setAutoStart({ enabled }: DesktopMethodParsed<'setAutoStart'>): DesktopState {
    this.publish({ ...this.state, autoStart: { ...this.state.autoStart, enabled } });
    return this.state;
  }

  updatePrefs(patch: DesktopMethodParsed<'updatePrefs'>): DesktopState {
    this.publish({ ...this.state, prefs: { ...this.state.prefs, ...patch } });
    return this.state;
  }

  quit(): { ok: true } {
    this.quitCalls++;
    return { ok: true };
  }
}

/** One served session: `port` goes to the renderer, `server` is the shell's end. */
export interface ServedShellPort {
  port: MessagePort;
  server: Rpc<unknown, unknown>;
  /** Closes both ends. */
  close(): void;
}

/**
 * A real MessageChannel with `shell` served on port1 (serveDesktop). Under Node the global
 * MessageChannel is node:worker_threads' own; it is reached as a global so that the renderer's
 * test program (DOM types, no Node types) can use this helper.
 */
export function serveFakeShell(shell: RendererFakeShell): ServedShellPort {
  const { port1, port2 } = new MessageChannel();
  const server = serveDesktop(messagePortChannel(port1), shell, shell);
  return { port: port2, server, close: () => { server.close(); port2.close(); } };
}

type PortMessageListener = (e: { source: unknown; data: unknown; ports: readonly MessagePort[] }) => void;

/** A stand-in for `window` as a port message target: the listeners and a way to post to them. */
export class FakePortWindow {
  readonly listeners = new Set<PortMessageListener>();
  addEventListener(_type: 'message', listener: PortMessageListener): void { this.listeners.add(listener); }
  removeEventListener(_type: 'message', listener: PortMessageListener): void { this.listeners.delete(listener); }
  /** Delivers `{type}` with `ports` as the preload would (source = this window unless given). */
  post(type: string, ports: readonly MessagePort[], source: unknown = this): void {
    for (const l of [...this.listeners]) l({ source, data: { type }, ports });
  }
}

const nodeProcess = (globalThis as unknown as { process: { getActiveResourcesInfo(): string[] } }).process;

/** Fails when a test left MessagePorts or timers alive (after `graceMs` for closes to settle). */
export function rendererPortLeakGuard(graceMs = 1000): { check(): Promise<void> } {
  const watched = new Set(['MessagePort', 'Timeout']);
  const count = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const r of nodeProcess.getActiveResourcesInfo()) if (watched.has(r)) m.set(r, (m.get(r) ?? 0) + 1);
    return m;
  };
  const baseline = count();
  const excess = (): string[] => [...count()].filter(([k, n]) => n > (baseline.get(k) ?? 0)).map(([k, n]) => `${n - (baseline.get(k) ?? 0)} ${k}`);
  return {
    async check() {
      const until = Date.now() + graceMs;
      while (excess().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      const left = excess();
      if (left.length > 0) throw new Error(`leaked handles: ${left.join(', ')}`);
    },
  };
}
