// The one file of electron/main that imports Electron (and electron-store, which does too). It
// adapts the real modules to the small interfaces of api-types.ts; everything else depends on
// those interfaces and runs in plain Node under test.
import {
  BrowserWindow, Menu, MessageChannelMain, Notification, Tray, app, clipboard, nativeImage, screen, session, shell,
  utilityProcess, type MenuItemConstructorOptions, type MessagePortMain,
} from 'electron';
import ElectronStore from 'electron-store';
import type {
  AppLike, BrowserWindowFactory, ClipboardLike, MessageChannelFactory, MessagePortLike, NotifierLike, Rect, ShellLike,
  TrayFactory, UtilityChild, UtilityProcessFactory, WindowLike, WindowOptions,
} from './api-types';
import { confBackend, type PrefsBackend } from './prefs';

export type * from './api-types';

/** Everything main uses from Electron. */
export interface ElectronApi {
  app: AppLike;
  windows: BrowserWindowFactory;
  trays: TrayFactory;
  processes: UtilityProcessFactory;
  channels: MessageChannelFactory;
  shell: ShellLike;
  clipboard: ClipboardLike;
  notifier: NotifierLike;
  /** Work areas of the connected displays (after app ready). */
  workAreas(): Rect[];
  /** electron-store in userData/prefs.json (after setName, before use). */
  openPrefsBackend(): PrefsBackend;
  /** Denies every permission request (camera, notifications, …) of web content. */
  lockDownSessions(): void;
}

export function loadElectronApi(): ElectronApi {
  const appLike: AppLike = {
    get isPackaged() { return app.isPackaged; },
    setName: (name) => app.setName(name),
    requestSingleInstanceLock: () => app.requestSingleInstanceLock(),
    whenReady: () => app.whenReady(),
    on: (event: string, listener: (...args: any[]) => void) => app.on(event as 'ready', listener),
    quit: () => app.quit(),
    exit: (code) => app.exit(code),
    getPath: (name) => app.getPath(name),
    getVersion: () => app.getVersion(),
    getLocale: () => app.getLocale(),
    setLoginItemSettings: (s) => app.setLoginItemSettings(s),
    getLoginItemSettings: (o) => app.getLoginItemSettings(o),
  };

  return {
    app: appLike,
    windows: { create: createWindow },
    trays: { create: createTray },
    processes: {
      fork: (modulePath, args, options) =>
        utilityProcess.fork(modulePath, args, { serviceName: options.serviceName, env: options.env, stdio: 'inherit' }) as unknown as UtilityChild,
    },
    channels: {
      create: () => {
        const { port1, port2 } = new MessageChannelMain();
        return { port1: port1 as unknown as MessagePortLike, port2: port2 as unknown as MessagePortLike };
      },
    },
    shell: { openExternal: (url) => shell.openExternal(url) },
    clipboard: { writeText: (text) => clipboard.writeText(text) },
    notifier: {
      notify: (title, body) => { if (Notification.isSupported()) new Notification({ title, body }).show(); },
    },
    workAreas: () => screen.getAllDisplays().map((d) => d.workArea),
    openPrefsBackend: () => confBackend(new ElectronStore<Record<string, unknown>>({ name: 'prefs' })),
    lockDownSessions: () => {
      session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
      session.defaultSession.setPermissionCheckHandler(() => false);
    },
  };
}

function createWindow(o: WindowOptions): WindowLike {
  const win = new BrowserWindow({
    ...o.bounds,
    minWidth: o.minWidth,
    minHeight: o.minHeight,
    title: o.title,
    show: o.show,
    backgroundColor: o.backgroundColor,
    icon: o.iconPath,
    autoHideMenuBar: true,
    webPreferences: {
      preload: o.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  const wc = win.webContents;
  // window.open never makes a new Electron window; web links go to the browser.
  wc.setWindowOpenHandler(({ url }) => { o.navigation(url); return { action: 'deny' }; });
  wc.on('will-navigate', (e) => { if (o.navigation(e.url) !== 'allow') e.preventDefault(); });
  wc.on('will-redirect', (e) => { if (o.navigation(e.url) !== 'allow') e.preventDefault(); });
  wc.on('will-attach-webview', (e) => e.preventDefault());
  return {
    id: win.id,
    show: () => win.show(),
    hide: () => win.hide(),
    focus: () => win.focus(),
    restore: () => win.restore(),
    maximize: () => win.maximize(),
    isMinimized: () => win.isMinimized(),
    isMaximized: () => win.isMaximized(),
    isVisible: () => win.isVisible(),
    isDestroyed: () => win.isDestroyed(),
    getNormalBounds: () => win.getNormalBounds(),
    destroy: () => win.destroy(),
    on: (event: string, listener: (...args: any[]) => void) => win.on(event as 'show', listener),
    onPageLoad: (listener) => { wc.on('did-finish-load', listener); },
    postPort: (channel, port) => { if (!wc.isDestroyed()) wc.postMessage(channel, null, [port as unknown as MessagePortMain]); },
    load: () => win.loadFile(o.indexHtmlPath),
  };
}

function createTray(iconPath: string): ReturnType<TrayFactory['create']> {
  const image = nativeImage.createFromPath(iconPath);
  // macOS tints template images for light/dark menu bars ("…Template.png" is one).
  if (process.platform === 'darwin') image.setTemplateImage(true);
  const tray = new Tray(image);
  return {
    setMenu(items, onClick) {
      const template: MenuItemConstructorOptions[] = items.map((i) => i.type === 'separator'
        ? { type: 'separator' }
        : {
          label: i.label, type: i.type, checked: i.checked, enabled: i.enabled ?? true,
          click: i.id ? () => onClick(i.id!) : undefined,
        });
      tray.setContextMenu(Menu.buildFromTemplate(template));
    },
    setToolTip: (text) => tray.setToolTip(text),
    onClick: (listener) => { tray.on('click', () => listener()); },
    destroy: () => tray.destroy(),
  };
}
