import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeProcesses, FakeWindows, NodeChannels, type FakeWindow } from '../../core/test/electron-fakes';
import type { MessagePortLike } from './api-types';
import { CoreHost, type PortBroker } from './core-host';
import { memoryBackend, openPrefs } from './prefs';
import { DEFAULT_SIZE, WindowManager, fileUrl, navigationPolicy, restoreBounds } from './windows';

const channels = new NodeChannels();
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  vi.useRealTimers();
  channels.closeAll();
});

const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve(); };

/** A desktop broker that hands a fresh pair per issue and counts live leases. */
function desktopBroker(): PortBroker & { live: number } {
  const b = {
    live: 0,
    attach(deliver: (p: MessagePortLike) => void) {
      b.live++;
      let disposed = false;
      return {
        issue: () => { if (!disposed) deliver(channels.create().port2); },
        dispose: () => { if (!disposed) { disposed = true; b.live--; } },
      };
    },
  };
  return b;
}

function setup(opts: { prefs?: unknown; hide?: boolean; workAreas?: Array<{ x: number; y: number; width: number; height: number }> } = {}) {
  const processes = new FakeProcesses();
  const core = new CoreHost({ processes, channels, modulePath: '/m.js', dataDir: '/d', initialBackoffMs: 10 });
  closers.push(() => core.close());
  core.start();
  const desktop = desktopBroker();
  const factory = new FakeWindows();
  const prefs = openPrefs(memoryBackend(opts.prefs ?? {}));
  const external: string[] = [];
  let hide = opts.hide ?? true;
  const wm = new WindowManager({
    windows: factory, core, desktop, prefs,
    preloadPath: '/app/dist/electron/preload.cjs', indexHtmlPath: '/app/dist/renderer/index.html', iconPath: '/app/build/icons/256x256.png',
    workAreas: () => opts.workAreas ?? [],
    hideOnClose: () => hide,
    openExternal: (u) => external.push(u),
  });
  closers.push(() => wm.destroy());
  return { wm, factory, prefs, processes, desktop, external, setHide: (v: boolean) => { hide = v; } };
}

const channelsOf = (w: FakeWindow): string[] => w.posted.map((p) => p.channel);

describe('WindowManager', () => {
  it('creates one window with the preload and the dashboard, shows and focuses it', async () => {
    const { wm, factory } = setup();
    const w = wm.show() as FakeWindow;
    expect(wm.show()).toBe(w);
    expect(factory.created).toHaveLength(1);
    expect(w.options).toMatchObject({
      preloadPath: '/app/dist/electron/preload.cjs', indexHtmlPath: '/app/dist/renderer/index.html',
      bounds: DEFAULT_SIZE, show: false, title: 'RelayDesk',
    });
    expect(w.visible).toBe(true);
    expect(w.focused).toBe(2);
    expect(w.loads).toBe(1);
    w.minimized = true;
    wm.show();
    expect(w.minimized).toBe(false);
  });

  it('each page load gets its own engine and shell ports; a core restart re-hands the engine port', async () => {
    const { wm, processes } = setup();
    await flush();
    const w = wm.show() as FakeWindow;
    await flush();
    expect(channelsOf(w)).toEqual(['relaydesk:core-port', 'relaydesk:desktop-port']);
    expect(processes.last.messages('port')).toHaveLength(1);

    w.reload();
    expect(channelsOf(w)).toEqual(['relaydesk:core-port', 'relaydesk:desktop-port', 'relaydesk:core-port', 'relaydesk:desktop-port']);
    expect(new Set(w.posted.map((p) => p.port)).size).toBe(4);

    processes.last.exit(1);
    await expect.poll(() => processes.children.length).toBe(2);
    await flush();
    expect(channelsOf(w).at(-1)).toBe('relaydesk:core-port');
    expect(processes.last.messages('port')).toHaveLength(1);
  });

  it('close hides to the tray; with close-to-tray off it closes and stops receiving ports', async () => {
    const { wm, processes, desktop, setHide } = setup();
    await flush();
    const w = wm.show() as FakeWindow;
    w.userClose();
    expect(w.destroyed).toBe(false);
    expect(w.visible).toBe(false);
    expect(wm.window).toBe(w);

    setHide(false);
    w.userClose();
    expect(w.destroyed).toBe(true);
    expect(wm.window).toBeNull();
    expect(desktop.live).toBe(0);
    const posted = w.posted.length;
    processes.last.exit(1);
    await expect.poll(() => processes.children.length).toBe(2);
    await flush();
    expect(w.posted).toHaveLength(posted);
    // Showing again makes a new window.
    expect(wm.show()).not.toBe(w);
  });

  it('remembers bounds (debounced) and maximized state', async () => {
    vi.useFakeTimers();
    const { wm, prefs } = setup();
    const w = wm.show() as FakeWindow;
    w.setBounds({ x: 40, y: 30, width: 1000 });
    w.setBounds({ height: 650 });
    expect(prefs.get().window).toBeNull();
    await vi.advanceTimersByTimeAsync(500);
    expect(prefs.get().window).toEqual({ x: 40, y: 30, width: 1000, height: 650, maximized: false });
    w.maximize();
    w.userClose(); // saved at once on close
    expect(prefs.get().window?.maximized).toBe(true);
  });

  it('opens with the saved bounds, maximized if it was', () => {
    const { wm } = setup({ prefs: { window: { x: 10, y: 20, width: 900, height: 700, maximized: true } }, workAreas: [{ x: 0, y: 0, width: 1920, height: 1080 }] });
    const w = wm.show() as FakeWindow;
    expect(w.options.bounds).toEqual({ x: 10, y: 20, width: 900, height: 700 });
    expect(w.maximized).toBe(true);
  });

  it('navigation: the dashboard stays, web links go to the browser, the rest is denied', () => {
    const { wm, external } = setup();
    const w = wm.show() as FakeWindow;
    expect(w.options.navigation('file:///app/dist/renderer/index.html#/instances')).toBe('allow');
    expect(w.options.navigation('https://github.com/x')).toBe('external');
    expect(external).toEqual(['https://github.com/x']);
    expect(w.options.navigation('file:///etc/passwd')).toBe('deny');
  });
});

describe('window helpers', () => {
  it('restoreBounds drops positions that are off every display', () => {
    const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(restoreBounds(null, screen)).toEqual(DEFAULT_SIZE);
    expect(restoreBounds({ x: 100, y: 100, width: 900, height: 600, maximized: false }, screen)).toEqual({ x: 100, y: 100, width: 900, height: 600 });
    // A second monitor that is gone now.
    expect(restoreBounds({ x: 2500, y: 100, width: 900, height: 600, maximized: false }, screen)).toEqual({ width: 900, height: 600 });
    // Only a sliver of the title bar would show.
    expect(restoreBounds({ x: 1880, y: 100, width: 900, height: 600, maximized: false }, screen)).toEqual({ width: 900, height: 600 });
    expect(restoreBounds({ x: 1880, y: 100, width: 900, height: 600, maximized: false }, [...screen, { x: 1920, y: 0, width: 1280, height: 1024 }]))
      .toEqual({ x: 1880, y: 100, width: 900, height: 600 });
  });

  it('navigationPolicy and fileUrl', () => {
    const index = fileUrl('/app/dist/renderer/index.html');
    expect(index).toBe('file:///app/dist/renderer/index.html');
    expect(fileUrl('C:\\Program Files\\RelayDesk\\resources\\app.asar\\dist\\renderer\\index.html'))
      .toBe('file:///C:/Program%20Files/RelayDesk/resources/app.asar/dist/renderer/index.html');
    expect(navigationPolicy(`${index}?x=1#/a`, index)).toBe('allow');
    expect(navigationPolicy('javascript:alert(1)', index)).toBe('deny');
    expect(navigationPolicy('data:text/html,hi', index)).toBe('deny');
    expect(navigationPolicy('not a url', index)).toBe('deny');
    expect(navigationPolicy('http://127.0.0.1:9090/', index)).toBe('external');
  });
});
