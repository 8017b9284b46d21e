import { formatHostPort, type RouteMode } from '../../core/rpc';
import type { MenuItemSpec, TrayLike } from './api-types';
import { trayLabels, type TrayLanguage } from './tray-labels';

/** Everything the tray shows. */
export interface TrayState {
  language: TrayLanguage;
  systemProxy: { enabled: boolean; supported: boolean };
  autoStart: { enabled: boolean; supported: boolean };
  /** null while the engine is not connected (the mode items are disabled). */
  routeMode: RouteMode | null;
  /** The local mixed proxy; null when there is none (copy and system proxy disabled). */
  proxyAddress: { host: string; port: number } | null;
  /** The engine process is restarting after a crash. */
  engineDown: boolean;
}

export type TrayAction =
  | 'show' | 'toggleSystemProxy' | 'mode:global' | 'mode:rule' | 'mode:direct' | 'copyProxyEnv' | 'toggleAutoStart' | 'quit';

/** What the tray's items do; index.ts wires them to the desktop service, core client and app. */
export interface TrayActions {
  show(): void;
  setSystemProxy(enabled: boolean): Promise<unknown> | void;
  setRouteMode(mode: RouteMode): Promise<unknown> | void;
  copyProxyEnv(command: string): void;
  setAutoStart(enabled: boolean): Promise<unknown> | void;
  quit(): void;
  /** A failed action (e.g. gsettings missing): shown by the caller (notification/log). */
  failed?(action: TrayAction, err: unknown): void;
}

const MODES: RouteMode[] = ['global', 'rule', 'direct'];

/** The tray menu as data, from the state alone. */
export function buildTrayMenu(state: TrayState): MenuItemSpec[] {
  const t = trayLabels(state.language);
  const sep: MenuItemSpec = { type: 'separator' };
  return [
    { id: 'show', type: 'normal', label: t.show },
    sep,
    {
      id: 'toggleSystemProxy', type: 'checkbox', label: t.systemProxy, checked: state.systemProxy.enabled,
      // Turning it off must stay possible even when the engine is gone.
      enabled: state.systemProxy.supported && (state.systemProxy.enabled || state.proxyAddress !== null),
    },
    { type: 'normal', label: t.routeMode, enabled: false },
    ...MODES.map((mode): MenuItemSpec => ({
      id: `mode:${mode}`, type: 'radio', label: t.modes[mode], checked: state.routeMode === mode, enabled: state.routeMode !== null,
    })),
    sep,
    { id: 'copyProxyEnv', type: 'normal', label: t.copyProxyEnv, enabled: state.proxyAddress !== null },
    { id: 'toggleAutoStart', type: 'checkbox', label: t.autoStart, checked: state.autoStart.enabled, enabled: state.autoStart.supported },
    sep,
    { id: 'quit', type: 'normal', label: t.quit },
  ];
}

/** The icon's tooltip: the proxy address and mode, or why there is none. */
export function trayToolTip(state: TrayState): string {
  const t = trayLabels(state.language);
  if (state.engineDown) return `RelayDesk — ${t.engineDown}`;
  if (!state.proxyAddress) return 'RelayDesk';
  const mode = state.routeMode ? ` · ${t.modes[state.routeMode]}` : '';
  return `RelayDesk — ${formatHostPort(state.proxyAddress.host, state.proxyAddress.port)}${mode}`;
}

/**
 * A shell command that sends terminal programs through the local proxy: `export …` for POSIX
 * shells, `$env:… = …` for PowerShell on Windows.
 */
export function proxyEnvCommand(addr: { host: string; port: number }, platform: string): string {
  const hp = formatHostPort(addr.host, addr.port);
  const http = `http://${hp}`;
  const socks = `socks5://${hp}`;
  if (platform === 'win32') return `$env:HTTPS_PROXY="${http}"; $env:HTTP_PROXY="${http}"; $env:ALL_PROXY="${socks}"`;
  return `export https_proxy=${http} http_proxy=${http} all_proxy=${socks}`;
}

/** Runs the action of a clicked item against the state the menu was built from. */
export async function runTrayAction(id: string, state: TrayState, actions: TrayActions, platform: string): Promise<void> {
  const action = id as TrayAction;
  try {
    switch (action) {
      case 'show': actions.show(); return;
      case 'toggleSystemProxy': await actions.setSystemProxy(!state.systemProxy.enabled); return;
      case 'mode:global': case 'mode:rule': case 'mode:direct':
        await actions.setRouteMode(action.slice('mode:'.length) as RouteMode);
        return;
      case 'copyProxyEnv':
        if (state.proxyAddress) actions.copyProxyEnv(proxyEnvCommand(state.proxyAddress, platform));
        return;
      case 'toggleAutoStart': await actions.setAutoStart(!state.autoStart.enabled); return;
      case 'quit': actions.quit(); return;
    }
  } catch (err) {
    actions.failed?.(action, err);
  }
}

/** Owns the tray icon: re-renders the menu on every state change. */
export class TrayController {
  private state: TrayState;

  constructor(private readonly tray: TrayLike, initial: TrayState, private readonly actions: TrayActions, private readonly platform: string) {
    this.state = initial;
    tray.onClick(() => actions.show());
    this.render();
  }

  get current(): TrayState { return this.state; }

  update(patch: Partial<TrayState>): void {
    const next = { ...this.state, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.state)) return;
    this.state = next;
    this.render();
  }

  dispose(): void { this.tray.destroy(); }

  private render(): void {
    const state = this.state;
    this.tray.setMenu(buildTrayMenu(state), (id) => {
      void runTrayAction(id, state, this.actions, this.platform).then(() => {
        // The OS flips a checkbox/radio on click; if the action changed nothing (it failed),
        // draw the menu again so the marks show the real state.
        if (this.state === state && id !== 'show' && id !== 'copyProxyEnv' && id !== 'quit') this.render();
      });
    });
    this.tray.setToolTip(trayToolTip(state));
  }
}
