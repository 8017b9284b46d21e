import { DESKTOP_PORT_MESSAGES } from '../../core/rpc/desktop';
import type { BrowserWindowFactory, Rect, WindowLike } from './api-types';
import type { PortBroker, PortLease } from './core-host';
import type { PrefsStore, WindowState } from './prefs';

export interface WindowManagerOptions {
  windows: BrowserWindowFactory;
  /** Ports to the engine (CoreHost). */
  core: PortBroker;
  /** Ports to the shell (DesktopService). */
  desktop: PortBroker;
  prefs: PrefsStore;
  preloadPath: string;
  indexHtmlPath: string;
  iconPath?: string;
  /** Work areas of the connected displays, to drop saved positions that are now off-screen. @default [] (keep) */
  workAreas?: () => Rect[];
  /** Closing hides the window instead (close-to-tray with a tray, and not quitting). */
  hideOnClose: () => boolean;
  /** Opens an http(s) link in the user's browser. */
  openExternal: (url: string) => void;
  /** Bounds are saved this long after the last move/resize. @default 500 */
  saveDelayMs?: number;
}

export const DEFAULT_SIZE = { width: 1200, height: 800 } as const;

/**
 * The dashboard window: created on demand, hidden to the tray on close, bounds remembered, and
 * on every page load handed two fresh ports (engine and shell) through the preload.
 */
export class WindowManager {
  private win: WindowLike | null = null;
  private leases: PortLease[] = [];
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: WindowManagerOptions) {}

  get window(): WindowLike | null { return this.win; }

  /** Shows the window, creating it if needed, restoring it if minimized, and focusing it. */
  show(): WindowLike {
    const win = this.win ?? this.create();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    return win;
  }

  /** Creates the window without showing it (start minimized to tray keeps it unloaded instead). */
  create(): WindowLike {
    if (this.win) return this.win;
    const saved = this.o.prefs.get().window;
    const bounds = restoreBounds(saved, this.o.workAreas?.() ?? []);
    const indexUrl = fileUrl(this.o.indexHtmlPath);
    const win = this.o.windows.create({
      bounds, minWidth: 800, minHeight: 560, title: 'RelayDesk', show: false, backgroundColor: '#0f172a',
      preloadPath: this.o.preloadPath, indexHtmlPath: this.o.indexHtmlPath, iconPath: this.o.iconPath,
      navigation: (url) => {
        const verdict = navigationPolicy(url, indexUrl);
        if (verdict === 'external') this.o.openExternal(url);
        return verdict;
      },
    });
    this.win = win;
    if (saved?.maximized) win.maximize();

    const core = this.o.core.attach((port) => win.postPort(DESKTOP_PORT_MESSAGES.core, port));
    const desktop = this.o.desktop.attach((port) => win.postPort(DESKTOP_PORT_MESSAGES.desktop, port));
    this.leases = [core, desktop];
    // Every (re)load starts a fresh page that needs its own sessions.
    win.onPageLoad(() => { core.issue(); desktop.issue(); });

    const scheduleSave = (): void => {
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.saveBounds(win), this.o.saveDelayMs ?? 500);
    };
    for (const ev of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(ev, scheduleSave);
    win.on('close', (e) => {
      this.saveBounds(win);
      if (this.o.hideOnClose()) { e.preventDefault(); win.hide(); }
    });
    win.on('closed', () => {
      clearTimeout(this.saveTimer);
      for (const l of this.leases) l.dispose();
      this.leases = [];
      if (this.win === win) this.win = null;
    });
    void win.load();
    return win;
  }

  hide(): void { this.win?.hide(); }

  /** Destroys the window (quitting): no close-to-tray veto. */
  destroy(): void {
    const win = this.win;
    if (win && !win.isDestroyed()) {
      this.saveBounds(win);
      win.destroy();
    }
    clearTimeout(this.saveTimer);
  }

  private saveBounds(win: WindowLike): void {
    clearTimeout(this.saveTimer);
    if (win.isDestroyed()) return;
    const b = win.getNormalBounds();
    const state: WindowState = { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() };
    const prev = this.o.prefs.get().window;
    if (JSON.stringify(prev) !== JSON.stringify(state)) this.o.prefs.update({ window: state });
  }
}

/**
 * Saved bounds if they still show on a display (at least 100×50 px of the title area visible),
 * else the saved size centered by the OS; the default size on first run.
 */
export function restoreBounds(saved: WindowState | null, workAreas: Rect[]): { x?: number; y?: number; width: number; height: number } {
  if (!saved) return { ...DEFAULT_SIZE };
  const size = { width: saved.width, height: saved.height };
  if (saved.x === undefined || saved.y === undefined) return size;
  const title = { x: saved.x, y: saved.y, width: saved.width, height: 50 };
  const visible = workAreas.length === 0 || workAreas.some((a) => overlap(title, a).width >= 100 && overlap(title, a).height >= 30);
  return visible ? { x: saved.x, y: saved.y, ...size } : size;
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * What a navigation or window.open may do: the dashboard's own page (any hash) stays; http(s)
 * links open in the browser; everything else (other files, javascript:, data:) is denied.
 */
export function navigationPolicy(url: string, indexUrl: string): 'allow' | 'external' | 'deny' {
  let u: URL;
  try { u = new URL(url); } catch { return 'deny'; }
  if (u.protocol === 'http:' || u.protocol === 'https:') return 'external';
  const strip = (s: string): string => s.replace(/[?#].*$/, '');
  return u.protocol === 'file:' && strip(u.href) === strip(indexUrl) ? 'allow' : 'deny';
}

/** An absolute path as a file:// URL (Windows drive letters and backslashes included). */
export function fileUrl(path: string): string {
  const p = path.replace(/\\/g, '/');
  const abs = p.startsWith('/') ? p : `/${p}`;
  return `file://${encodeURI(abs).replace(/[?#]/g, encodeURIComponent)}`;
}
