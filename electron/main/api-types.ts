// The small slices of Electron the main process uses. electron-api.ts implements them with the
// real modules; everything else in electron/main depends on these interfaces only, so it runs
// (and is tested) in plain Node.

/** Removes a listener, closes a resource. */
export type Disposable = () => void;

/** Electron's MessagePortMain, structurally (also satisfied by worker_threads' MessagePort). */
export interface MessagePortLike {
  on(event: 'message' | 'close', listener: (arg: any) => void): unknown;
  postMessage(message: unknown): void;
  start?(): void;
  close(): void;
}

/** `new MessageChannelMain()`. */
export interface MessageChannelFactory {
  create(): { port1: MessagePortLike; port2: MessagePortLike };
}

/** A child started by `utilityProcess.fork`. */
export interface UtilityChild {
  readonly pid: number | undefined;
  postMessage(message: unknown, transfer?: MessagePortLike[]): void;
  on(event: 'message', listener: (message: any) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'spawn', listener: () => void): unknown;
  /** Sends SIGTERM (POSIX) / terminates (Windows). */
  kill(): boolean;
}

export interface UtilityForkOptions {
  /** Shown in the OS task manager. */
  serviceName: string;
  env?: Record<string, string | undefined>;
}

/** `utilityProcess.fork`. */
export interface UtilityProcessFactory {
  fork(modulePath: string, args: string[], options: UtilityForkOptions): UtilityChild;
}

export interface Rect { x: number; y: number; width: number; height: number }

/** What to open a dashboard window with. */
export interface WindowOptions {
  bounds: Partial<Rect> & { width: number; height: number };
  minWidth: number;
  minHeight: number;
  title: string;
  /** Absolute path of the bundled preload (CJS). */
  preloadPath: string;
  /** Absolute path of the dashboard's index.html. */
  indexHtmlPath: string;
  /** Window icon (Linux/Windows). */
  iconPath?: string;
  /** Created hidden, shown by the caller. */
  show: false;
  backgroundColor: string;
  /** Decides, for each navigation or window.open, whether to allow it, open it in the browser, or deny it. */
  navigation: (url: string) => 'allow' | 'external' | 'deny';
}

/** A BrowserWindow plus the bits of its webContents we use. */
export interface WindowLike {
  readonly id: number;
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  maximize(): void;
  isMinimized(): boolean;
  isMaximized(): boolean;
  isVisible(): boolean;
  isDestroyed(): boolean;
  getNormalBounds(): Rect;
  /** Closes without running 'close' handlers' veto (used when quitting). */
  destroy(): void;
  /** `e.preventDefault()` keeps the window open (close to tray). */
  on(event: 'close', listener: (e: { preventDefault(): void }) => void): unknown;
  on(event: 'closed' | 'resize' | 'move' | 'maximize' | 'unmaximize', listener: () => void): unknown;
  /** webContents 'did-finish-load': the page (re)loaded and needs fresh ports. */
  onPageLoad(listener: () => void): void;
  /** webContents.postMessage(channel, null, [port]) to the preload. */
  postPort(channel: string, port: MessagePortLike): void;
  /** Loads `indexHtmlPath`. */
  load(): Promise<void>;
}

export interface BrowserWindowFactory {
  create(options: WindowOptions): WindowLike;
}

/** A tray menu entry as data; electron-api turns these into a Menu. */
export interface MenuItemSpec {
  /** Action id passed to the click handler; absent for separators and labels. */
  id?: string;
  type: 'normal' | 'checkbox' | 'radio' | 'separator';
  label?: string;
  checked?: boolean;
  enabled?: boolean;
}

export interface TrayLike {
  setMenu(items: MenuItemSpec[], onClick: (id: string) => void): void;
  setToolTip(text: string): void;
  /** Left click on the icon (Windows/macOS; most Linux trays only open the menu). */
  onClick(listener: () => void): void;
  destroy(): void;
}

export interface TrayFactory {
  create(iconPath: string): TrayLike;
}

export interface LoginItemSettings { openAtLogin: boolean; openAsHidden?: boolean; args?: string[] }

/** `app`. */
export interface AppLike {
  readonly isPackaged: boolean;
  setName(name: string): void;
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<unknown>;
  on(event: 'second-instance' | 'activate' | 'window-all-closed', listener: () => void): unknown;
  on(event: 'before-quit', listener: (e: { preventDefault(): void }) => void): unknown;
  quit(): void;
  exit(code?: number): void;
  getPath(name: 'userData' | 'home' | 'exe' | 'appData'): string;
  getVersion(): string;
  /** e.g. "en-US", "zh-CN". */
  getLocale(): string;
  setLoginItemSettings(settings: LoginItemSettings): void;
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean; wasOpenedAtLogin?: boolean };
}

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

export interface ClipboardLike {
  writeText(text: string): void;
}

/** A desktop notification (used for failures of tray actions). */
export interface NotifierLike {
  notify(title: string, body: string): void;
}
