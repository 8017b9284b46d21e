import type { RouteMode } from '../../core/rpc';
import type { DesktopState } from '../../core/rpc/desktop';
import type { ElectronApi } from './electron-api';
import { HIDDEN_ARG, createAutoStart } from './autostart';
import { CoreClient } from './core-client';
import { CoreHost } from './core-host';
import { DesktopService } from './desktop-service';
import { appPaths, engineDataDir, installQuitSequence, launchCommand } from './lifecycle';
import { openPrefs, type PrefsBackend, type PrefsStore } from './prefs';
import { createSystemProxy, selectDriver } from './sysproxy';
import { createExec } from './sysproxy/exec';
import type { Exec } from './sysproxy/types';
import { TrayController, type TrayActions, type TrayState } from './tray';
import { resolveLanguage } from './tray-labels';
import { WindowManager } from './windows';

/** What the desktop app is built from: Electron's slices (electron-api.ts) and the process's facts. */
export interface DesktopAppDeps extends ElectronApi {
  platform: string;
  env: Record<string, string | undefined>;
  home: string;
  argv: string[];
  /** The app root: the repo in dev, app.asar when packaged. */
  root: string;
  /** dist/electron/main.cjs (for the dev autostart command). */
  mainScript: string;
  execPath: string;
  /** Runs the OS proxy tools. @default child_process.execFile */
  exec?: Exec;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** The running app's parts (for tests and for index.ts). */
export interface DesktopApp {
  prefs: PrefsStore;
  coreHost: CoreHost;
  coreClient: CoreClient;
  desktop: DesktopService;
  windows: WindowManager;
  tray: TrayController;
  readonly quitting: boolean;
}

/**
 * Starts RelayDesk's desktop shell: one instance, the engine in a utility process, the window,
 * the tray. Quitting restores the system proxy we replaced, then shuts the engine down.
 * Resolves null when another instance already runs (it is asked to show its window instead).
 */
export async function runDesktopApp(d: DesktopAppDeps): Promise<DesktopApp | null> {
  const { app, platform, env } = d;
  const log = d.log ?? ((level, message) => console[level === 'info' ? 'log' : level](`[main] ${message}`));
  app.setName('RelayDesk');
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  await app.whenReady();
  d.lockDownSessions();

  const prefs = openPrefs(d.openPrefsBackend());
  const paths = appPaths(d.root, platform);
  const coreHost = new CoreHost({
    processes: d.processes, channels: d.channels, modulePath: paths.coreMain,
    dataDir: engineDataDir(env, platform, d.home), log,
  });
  const coreClient = new CoreClient(coreHost);
  const desktop = new DesktopService({
    prefs,
    systemProxy: createSystemProxy({
      driver: selectDriver(platform, env),
      exec: d.exec ?? createExec(),
      saved: { get: () => prefs.get().savedSystemProxy, set: (v) => prefs.update({ savedSystemProxy: v }) },
      warn: (m) => log('warn', m),
    }),
    autoStart: createAutoStart({
      platform, app, configHome: env.XDG_CONFIG_HOME || `${d.home}/.config`,
      launch: launchCommand({ packaged: app.isPackaged, env, exePath: d.execPath, mainScript: d.mainScript }),
    }),
    proxyTarget: () => coreClient.view.localProxy,
    channels: d.channels,
    quit: () => app.quit(),
    log,
  });

  let quitting = { quitting: false };
  const windows = new WindowManager({
    windows: d.windows, core: coreHost, desktop, prefs,
    preloadPath: paths.preload, indexHtmlPath: paths.indexHtml, iconPath: paths.windowIcon,
    workAreas: () => d.workAreas(),
    hideOnClose: () => prefs.get().closeToTray && !quitting.quitting,
    openExternal: (url) => { void d.shell.openExternal(url); },
  });

  const trayState = (s: DesktopState): Omit<TrayState, 'routeMode' | 'proxyAddress' | 'engineDown'> => ({
    language: resolveLanguage(s.prefs.language, app.getLocale()),
    systemProxy: { enabled: s.systemProxy.enabled, supported: s.systemProxy.supported },
    autoStart: s.autoStart,
  });
  const actions: TrayActions = {
    show: () => { windows.show(); },
    setSystemProxy: (enabled) => desktop.setSystemProxy({ enabled }),
    setRouteMode: (mode: RouteMode) => coreClient.setRouteMode(mode),
    copyProxyEnv: (command) => d.clipboard.writeText(command),
    setAutoStart: (enabled) => desktop.setAutoStart({ enabled }),
    quit: () => app.quit(),
    failed: (action, err) => {
      log('warn', `tray ${action} failed: ${(err as Error).message}`);
      d.notifier.notify('RelayDesk', (err as Error).message);
    },
  };
  const tray = new TrayController(d.trays.create(paths.trayIcon), {
    ...trayState(desktop.current), routeMode: null, proxyAddress: null, engineDown: false,
  }, actions, platform);

  desktop.on('desktop', (s) => tray.update(trayState(s)));
  coreClient.onChange((v) => {
    tray.update({ routeMode: v.routeMode, proxyAddress: v.localProxy });
    // Once the engine reports its proxy address: turn the system proxy back on if the user
    // left it on, or follow a changed port.
    if (v.localProxy) void desktop.syncSystemProxy();
  });
  coreHost.onStatus((s) => tray.update({ engineDown: s.state === 'waiting' }));

  app.on('second-instance', () => { windows.show(); });
  app.on('activate', () => { windows.show(); });
  // macOS apps stay in the dock with no window; elsewhere closing the (not hidden) window quits.
  app.on('window-all-closed', () => { if (platform !== 'darwin') app.quit(); });
  quitting = installQuitSequence(app, async () => {
    windows.destroy();
    await desktop.restoreSystemProxy();
    coreClient.close();
    desktop.close();
    await coreHost.close();
    tray.dispose();
  }, { log: (m) => log('warn', m) });

  coreHost.start();
  coreClient.start();
  void desktop.refresh();
  const hidden = d.argv.includes(HIDDEN_ARG) || prefs.get().startMinimized || (platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true);
  if (!hidden) windows.show();

  return {
    prefs, coreHost, coreClient, desktop, windows, tray,
    get quitting() { return quitting.quitting; },
  };
}
