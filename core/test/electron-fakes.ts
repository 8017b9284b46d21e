// Fakes of the Electron slices electron/main depends on (electron/main/api-types.ts), for tests
// that run in plain Node: utility processes, message channels, windows, trays.
import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type {
  BrowserWindowFactory, MenuItemSpec, MessageChannelFactory, MessagePortLike, Rect, TrayFactory, TrayLike,
  UtilityChild, UtilityForkOptions, UtilityProcessFactory, WindowLike, WindowOptions,
} from '../../electron/main/api-types';
import { startCoreMain, type CoreChildMessage, type ParentPortLike, type ServedEngine } from '../main';
import { CoreError, EMPTY_META, Settings, type Instance, type MethodParsed } from '../rpc';

/** A utility child that records what main sends; `responsive` children answer pings. */
export class FakeChild extends EventEmitter implements UtilityChild {
  static nextPid = 1000;
  readonly pid = FakeChild.nextPid++;
  readonly sent: Array<{ message: any; transfer: MessagePortLike[] }> = [];
  responsive = true;
  killed = false;
  exitCode: number | null = null;

  constructor(readonly modulePath: string, readonly options: UtilityForkOptions) { super(); }

  postMessage(message: any, transfer: MessagePortLike[] = []): void {
    this.sent.push({ message, transfer });
    if (message?.type === 'ping' && this.responsive) this.reply({ type: 'pong', n: message.n });
    if (message?.type === 'shutdown' && this.responsive) this.exit(0);
  }

  kill(): boolean {
    this.killed = true;
    this.exit(15);
    return true;
  }

  /** The child's messages arrive asynchronously, as over Electron's IPC. */
  reply(message: CoreChildMessage): void {
    void Promise.resolve().then(() => this.emit('message', message));
  }

  exit(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    void Promise.resolve().then(() => this.emit('exit', code));
  }

  messages(type: string): any[] { return this.sent.filter((s) => s.message?.type === type).map((s) => s.message); }
}

/** utilityProcess.fork: records children; each emits 'spawn' asynchronously. */
export class FakeProcesses implements UtilityProcessFactory {
  readonly children: FakeChild[] = [];
  constructor(private readonly make: (modulePath: string, options: UtilityForkOptions) => FakeChild = (m, o) => new FakeChild(m, o)) {}
  fork(modulePath: string, _args: string[], options: UtilityForkOptions): FakeChild {
    const child = this.make(modulePath, options);
    this.children.push(child);
    void Promise.resolve().then(() => child.emit('spawn'));
    return child;
  }
  get last(): FakeChild { return this.children[this.children.length - 1]; }
}

/** MessageChannelMain over worker_threads ports; `closeAll()` in teardown. */
export class NodeChannels implements MessageChannelFactory {
  readonly ports: MessagePort[] = [];
  create(): { port1: MessagePort; port2: MessagePort } {
    const { port1, port2 } = new MessageChannel();
    this.ports.push(port1, port2);
    return { port1, port2 };
  }
  closeAll(): void { for (const p of this.ports.splice(0)) p.close(); }
}

/**
 * A utility child running the real core/main.ts entry in-process: main's messages reach
 * `startCoreMain` through a fake parentPort, its replies come back as child messages.
 */
export class InProcessCoreChild extends FakeChild {
  private readonly parent = new EventEmitter() as EventEmitter & ParentPortLike;

  constructor(modulePath: string, options: UtilityForkOptions, open: (o: { dataDir: string; seedDefaults: boolean }) => Promise<ServedEngine>) {
    super(modulePath, options);
    this.parent.postMessage = (m: CoreChildMessage) => this.reply(m);
    startCoreMain(this.parent, { open, exit: (code) => this.exit(code) });
  }

  override postMessage(message: any, transfer: MessagePortLike[] = []): void {
    this.sent.push({ message, transfer });
    if (this.exitCode === null) this.parent.emit('message', { data: message, ports: transfer });
  }

  /** Dies like a crashed process: no shutdown, ports left to close on their own. */
  crash(): void { this.exit(1); }
}

/**
 * A tiny CoreApiImpl stand-in with in-memory instances and settings, events, and a per-data-dir
 * lock like the real store's. Enough for the desktop shell's needs (listInstances, settings).
 */
export function standInEngine(locks: Set<string> = new Set()) {
  return (opts: { dataDir: string; seedDefaults: boolean }): Promise<ServedEngine & { closed: boolean }> => {
    if (locks.has(opts.dataDir)) return Promise.reject(new CoreError('E_STORE_LOCKED', `data dir ${opts.dataDir} is in use`));
    locks.add(opts.dataDir);
    const bus = new EventEmitter();
    const instances: Instance[] = [];
    let settings = Settings.parse({});
    let closed = false;
    const live = (): void => { if (closed) throw new CoreError('E_STATE_TRANSITION', 'engine closed'); };
    const create = (input: MethodParsed<'createInstance'>): Instance => {
      live();
      const now = Date.now();
      const inst: Instance = {
        id: input.id ?? `i${instances.length + 1}`, name: input.name, autoStart: input.autoStart, spec: input.spec,
        state: input.start ? 'running' : 'stopped', error: null,
        address: input.start && 'listen' in input.spec ? input.spec.listen.replace(/:0$/, ':40000') : null,
        startedAt: input.start ? now : null, meta: input.meta ?? EMPTY_META, tunnel: null, createdAt: now, updatedAt: now,
      };
      instances.push(inst);
      bus.emit('instance', inst);
      return inst;
    };
    if (opts.seedDefaults) create({ name: 'Local proxy', autoStart: true, start: true, spec: { type: 'mixed', listen: '127.0.0.1:7890', users: [], udp: true, handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000, udpIdleTimeoutMs: 60_000 } });
    const impl = {
      get closed() { return closed; },
      on(event: string, handler: (data: unknown) => void) {
        bus.on(event, handler);
        return () => { bus.off(event, handler); };
      },
      async close() { closed = true; locks.delete(opts.dataDir); },
      getInfo() { live(); return { dataDir: opts.dataDir }; },
      listInstances() { live(); return instances; },
      createInstance: create,
      stopInstance({ id }: { id: string }) {
        live();
        const inst = instances.find((i) => i.id === id);
        if (!inst) throw new CoreError('E_NOT_FOUND', `no instance ${id}`);
        Object.assign(inst, { state: 'stopped', address: null, startedAt: null });
        bus.emit('instance', inst);
        return inst;
      },
      getSettings() { live(); return settings; },
      updateSettings(patch: MethodParsed<'updateSettings'>) {
        live();
        settings = { ...settings, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
        bus.emit('settings', settings);
        return settings;
      },
    };
    return Promise.resolve(impl as unknown as ServedEngine & { closed: boolean });
  };
}

/** A BrowserWindow stand-in: visibility, bounds, 'close' veto, and the ports posted to it. */
export class FakeWindow extends EventEmitter implements WindowLike {
  static nextId = 1;
  readonly id = FakeWindow.nextId++;
  readonly posted: Array<{ channel: string; port: MessagePortLike }> = [];
  visible = false;
  minimized = false;
  maximized = false;
  destroyed = false;
  focused = 0;
  loads = 0;
  bounds: Rect;

  constructor(readonly options: WindowOptions) {
    super();
    this.bounds = { x: options.bounds.x ?? 100, y: options.bounds.y ?? 100, width: options.bounds.width, height: options.bounds.height };
  }

  show(): void { this.visible = true; this.minimized = false; }
  hide(): void { this.visible = false; }
  focus(): void { this.focused++; }
  restore(): void { this.minimized = false; }
  maximize(): void { this.maximized = true; this.emit('maximize'); }
  isMinimized(): boolean { return this.minimized; }
  isMaximized(): boolean { return this.maximized; }
  isVisible(): boolean { return this.visible; }
  isDestroyed(): boolean { return this.destroyed; }
  getNormalBounds(): Rect { return { ...this.bounds }; }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.emit('closed');
  }
  onPageLoad(listener: () => void): void { this.on('page-load', listener); }
  postPort(channel: string, port: MessagePortLike): void { this.posted.push({ channel, port }); }
  async load(): Promise<void> { this.loads++; this.emit('page-load'); }

  /** The user clicks the close button: 'close' listeners may veto. */
  userClose(): void {
    let vetoed = false;
    this.emit('close', { preventDefault: () => { vetoed = true; } });
    if (!vetoed) this.destroy();
  }
  /** The page reloads (Ctrl+R, renderer crash recovery). */
  reload(): void { this.emit('page-load'); }
  /** The user moves/resizes the window. */
  setBounds(b: Partial<Rect>): void { this.bounds = { ...this.bounds, ...b }; this.emit('resize'); }
}

export class FakeWindows implements BrowserWindowFactory {
  readonly created: FakeWindow[] = [];
  create(options: WindowOptions): FakeWindow {
    const w = new FakeWindow(options);
    this.created.push(w);
    return w;
  }
}

/** A tray that keeps its last menu and lets tests click items by id. */
export class FakeTray implements TrayLike {
  menu: MenuItemSpec[] = [];
  tooltip = '';
  destroyed = false;
  private onItem: (id: string) => void = () => undefined;
  private onIcon: () => void = () => undefined;
  constructor(readonly iconPath: string) {}
  setMenu(items: MenuItemSpec[], onClick: (id: string) => void): void { this.menu = items; this.onItem = onClick; }
  setToolTip(text: string): void { this.tooltip = text; }
  onClick(listener: () => void): void { this.onIcon = listener; }
  destroy(): void { this.destroyed = true; }
  click(id: string): void {
    const item = this.menu.find((i) => i.id === id);
    if (!item) throw new Error(`no menu item ${id}`);
    if (item.enabled === false) throw new Error(`menu item ${id} is disabled`);
    this.onItem(id);
  }
  clickIcon(): void { this.onIcon(); }
}

export class FakeTrays implements TrayFactory {
  readonly created: FakeTray[] = [];
  create(iconPath: string): FakeTray {
    const t = new FakeTray(iconPath);
    this.created.push(t);
    return t;
  }
}
