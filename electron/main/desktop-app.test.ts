import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FakeProcesses, FakeTrays, FakeWindows, InProcessCoreChild, NodeChannels, standInEngine, type FakeWindow,
} from '../../core/test/electron-fakes';
import { fakeGsettings, fakeTools } from '../../core/test/electron-sysproxy-fakes';
import type { AppLike, LoginItemSettings } from './api-types';
import { runDesktopApp, type DesktopApp } from './desktop-app';
import { memoryBackend } from './prefs';

const G = 'org.gnome.system.proxy';

/** Electron's `app`: events, single-instance lock, quit that emits before-quit and may be vetoed. */
class FakeApp extends EventEmitter implements AppLike {
  isPackaged = false;
  name = '';
  lock = true;
  quitCalls = 0;
  quitted = false;
  exitCode: number | null = null;
  login: LoginItemSettings = { openAtLogin: false };
  setName(name: string): void { this.name = name; }
  requestSingleInstanceLock(): boolean { return this.lock; }
  whenReady(): Promise<void> { return Promise.resolve(); }
  quit(): void {
    this.quitCalls++;
    let vetoed = false;
    this.emit('before-quit', { preventDefault: () => { vetoed = true; } });
    if (!vetoed) this.quitted = true;
  }
  exit(code = 0): void { this.exitCode = code; }
  getPath(name: string): string { return `/fake/${name}`; }
  getVersion(): string { return '0.1.0'; }
  getLocale(): string { return 'en-US'; }
  setLoginItemSettings(s: LoginItemSettings): void { this.login = s; }
  getLoginItemSettings() { return { openAtLogin: this.login.openAtLogin }; }
}

const channels = new NodeChannels();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  channels.closeAll();
});

async function start(opts: { argv?: string[]; prefs?: unknown; lock?: boolean } = {}) {
  const app = new FakeApp();
  app.lock = opts.lock ?? true;
  const home = mkdtempSync(join(tmpdir(), 'relaydesk-app-'));
  const locks = new Set<string>();
  const children: InProcessCoreChild[] = [];
  const processes = new FakeProcesses((m, o) => {
    const c = new InProcessCoreChild(m, o, (x) => standInEngine(locks)({ ...x, seedDefaults: true }));
    children.push(c);
    return c;
  });
  const windows = new FakeWindows();
  const trays = new FakeTrays();
  const gs = fakeGsettings();
  const tools = fakeTools({ gsettings: gs.handler });
  const clipboard: string[] = [];
  const notes: string[] = [];
  const prefsBackend = memoryBackend(opts.prefs ?? {});
  const desktop = await runDesktopApp({
    app, windows, trays, processes, channels,
    shell: { openExternal: async () => undefined },
    clipboard: { writeText: (t) => clipboard.push(t) },
    notifier: { notify: (_t, body) => notes.push(body) },
    workAreas: () => [],
    openPrefsBackend: () => prefsBackend,
    lockDownSessions: () => undefined,
    platform: 'linux',
    env: { XDG_CURRENT_DESKTOP: 'GNOME', XDG_CONFIG_HOME: home },
    home,
    argv: opts.argv ?? [],
    root: '/app',
    mainScript: '/app/dist/electron/main.cjs',
    execPath: '/usr/bin/electron',
    exec: tools.exec,
    log: () => undefined,
  });
  cleanups.push(async () => {
    if (desktop && !app.quitted) { app.quit(); await waitFor(() => app.quitted); }
    rmSync(home, { recursive: true, force: true });
  });
  return { app, desktop, windows, trays, processes, children, gs, tools, clipboard, notes, prefsBackend, home };
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const trayItem = (t: FakeTrays, id: string) => t.created[0].menu.find((i) => i.id === id);

describe('the desktop app, wired on fakes of Electron (real engine entry in-process)', () => {
  it('starts: engine forked with the data dir, window shown with two ports, tray follows the engine', async () => {
    const { app, desktop, windows, trays, processes, home } = await start();
    expect(app.name).toBe('RelayDesk');
    expect(processes.last.modulePath).toBe('/app/dist/core-main.js');
    await waitFor(() => processes.last.messages('init').length === 1);
    expect(processes.last.messages('init')[0]).toEqual({ type: 'init', dataDir: join(home, 'relaydesk') });
    expect(windows.created).toHaveLength(1);
    const win = windows.created[0];
    expect(win.visible).toBe(true);
    expect(win.options.preloadPath).toBe('/app/dist/electron/preload.cjs');
    expect(win.posted.map((p) => p.channel)).toEqual(['relaydesk:core-port', 'relaydesk:desktop-port']);
    expect(trays.created[0].iconPath).toBe('/app/build/icons/tray.png');

    await waitFor(() => trayItem(trays, 'mode:rule')?.checked === true);
    expect(trayItem(trays, 'copyProxyEnv')?.enabled).toBe(true);
    expect(trays.created[0].tooltip).toBe('RelayDesk — 127.0.0.1:7890 · Rule');
    expect(desktop!.coreClient.view.localProxy).toEqual({ host: '127.0.0.1', port: 7890 });
  });

  it('tray: route mode via the engine, system proxy via gsettings, copy command, failures notified', async () => {
    const { trays, desktop, gs, clipboard } = await start();
    const tray = trays.created[0];
    await waitFor(() => trayItem(trays, 'mode:rule')?.checked === true);

    tray.click('mode:global');
    await waitFor(() => trayItem(trays, 'mode:global')?.checked === true);
    expect(desktop!.coreClient.view.routeMode).toBe('global');

    tray.click('toggleSystemProxy');
    await waitFor(() => trayItem(trays, 'toggleSystemProxy')?.checked === true);
    expect(gs.state.get(`${G} mode`)).toBe("'manual'");
    expect(gs.state.get(`${G}.http port`)).toBe('7890');

    tray.click('copyProxyEnv');
    expect(clipboard).toEqual(['export https_proxy=http://127.0.0.1:7890 http_proxy=http://127.0.0.1:7890 all_proxy=socks5://127.0.0.1:7890']);

    tray.click('toggleAutoStart');
    await waitFor(() => trayItem(trays, 'toggleAutoStart')?.checked === true);
  });

  it('quit: window closed, system proxy restored, engine shut down, then the app really quits', async () => {
    const { app, trays, gs, processes, children, windows } = await start();
    await waitFor(() => trayItem(trays, 'copyProxyEnv')?.enabled === true);
    trays.created[0].click('toggleSystemProxy');
    await waitFor(() => gs.state.get(`${G} mode`) === "'manual'");

    trays.created[0].click('quit');
    expect(app.quitted).toBe(false); // held until cleanup is done
    await waitFor(() => app.quitted);
    expect(gs.state.get(`${G} mode`)).toBe("'none'");
    expect(processes.last.messages('shutdown')).toHaveLength(1);
    expect(children[0].exitCode).toBe(0);
    expect((windows.created[0] as FakeWindow).destroyed).toBe(true);
    expect(trays.created[0].destroyed).toBe(true);
    expect(processes.children).toHaveLength(1);
  });

  it('closing the window hides it to the tray; the tray shows it again', async () => {
    const { windows, trays, app } = await start();
    const win = windows.created[0];
    win.userClose();
    expect(win.destroyed).toBe(false);
    expect(win.visible).toBe(false);
    expect(app.quitCalls).toBe(0);
    trays.created[0].click('show');
    expect(win.visible).toBe(true);
    app.emit('second-instance');
    expect(windows.created).toHaveLength(1);
  });

  it('--hidden (login item) and startMinimized start in the tray only', async () => {
    const a = await start({ argv: ['--hidden'] });
    expect(a.windows.created).toHaveLength(0);
    const b = await start({ prefs: { startMinimized: true } });
    expect(b.windows.created).toHaveLength(0);
    b.trays.created[0].click('show');
    expect(b.windows.created).toHaveLength(1);
  });

  it('re-enables the system proxy at launch when the user left it on', async () => {
    const { gs } = await start({ prefs: { systemProxyOnLaunch: true } });
    await waitFor(() => gs.state.get(`${G} mode`) === "'manual'");
  });

  it('a second instance quits at once', async () => {
    const { app, desktop, processes } = await start({ lock: false });
    expect(desktop).toBeNull();
    expect(app.quitted).toBe(true);
    expect(processes.children).toHaveLength(0);
  });
});
