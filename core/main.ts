import { messagePortChannel, serveCore, toCoreError, type CoreApiImpl, type CoreEvents, type EventSource, type LogEntry, type PortLike, type Rpc } from './rpc';

/**
 * The engine in an Electron utility process. Main talks to it over `process.parentPort`:
 *
 * - `{type:'init', dataDir, seedDefaults?}` once: opens the engine on `dataDir`.
 * - `{type:'port'}` with a MessagePort in `ports[0]`: serves CoreApi on it (one per window,
 *   plus main's own). Ports that arrive before the engine is open wait for it.
 * - `{type:'ping', n}` → `{type:'pong', n}` at any time (the health check).
 * - `{type:'shutdown'}`: closes the engine, then exits 0.
 *
 * It answers `{type:'ready'}` once the engine is open, and `{type:'fatal', code, message}` before
 * exiting 1 when it cannot open.
 */
export type CoreHostMessage =
  | { type: 'init'; dataDir: string; seedDefaults?: boolean }
  | { type: 'port' }
  | { type: 'ping'; n: number }
  | { type: 'shutdown' };

export type CoreChildMessage =
  | { type: 'pong'; n: number }
  | { type: 'ready' }
  | { type: 'fatal'; code: string; message: string };

/** Electron's `process.parentPort`, structurally (core never imports electron). */
export interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown; ports: readonly PortLike[] }) => void): unknown;
  postMessage(message: CoreChildMessage): void;
}

/** The engine as this entry uses it. */
export type ServedEngine = CoreApiImpl & EventSource<CoreEvents> & { close(): Promise<void> };

export interface CoreMainOptions {
  /** Opens the engine. @default Engine.open({ dataDir, seedDefaults, logEcho: warnings to stderr }) */
  open?: (opts: { dataDir: string; seedDefaults: boolean }) => Promise<ServedEngine>;
  /** Ends the process. @default process.exit */
  exit?: (code: number) => void;
}

/** A running entry: what tests observe. */
export interface CoreMain {
  /** Resolves with the engine once init opened it (rejects if it failed). */
  readonly engine: Promise<ServedEngine>;
  /** Number of ports currently served. */
  readonly sessions: number;
}

/** Wires `parentPort` to an engine; see CoreHostMessage for the protocol. */
export function startCoreMain(parentPort: ParentPortLike, options: CoreMainOptions = {}): CoreMain {
  const open = options.open ?? defaultOpen;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const served = new Set<Rpc<unknown, unknown>>();
  let settle!: { resolve(e: ServedEngine): void; reject(err: unknown): void };
  const engine = new Promise<ServedEngine>((resolve, reject) => { settle = { resolve, reject }; });
  engine.catch(() => undefined);
  let initialized = false;
  let shuttingDown = false;

  const serve = (port: PortLike): void => {
    void engine.then((e) => {
      if (shuttingDown) { port.close(); return; }
      const rpc = serveCore(messagePortChannel(port), e, e);
      served.add(rpc);
      rpc.onClose(() => served.delete(rpc));
    }, () => port.close());
  };

  const init = (dataDir: string, seedDefaults: boolean): void => {
    if (initialized) return;
    initialized = true;
    open({ dataDir, seedDefaults }).then((e) => {
      settle.resolve(e);
      parentPort.postMessage({ type: 'ready' });
    }, (err: unknown) => {
      settle.reject(err);
      const ce = toCoreError(err);
      parentPort.postMessage({ type: 'fatal', code: ce.code, message: ce.message });
      exit(1);
    });
  };

  const shutdown = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const rpc of served) rpc.close();
    served.clear();
    if (initialized) {
      const e = await engine.catch(() => null);
      await e?.close().catch(() => undefined);
    }
    exit(0);
  };

  parentPort.on('message', (event) => {
    const m = event.data as Partial<CoreHostMessage> | null;
    switch (m?.type) {
      case 'ping': parentPort.postMessage({ type: 'pong', n: Number((m as { n: unknown }).n) }); return;
      case 'init': {
        const { dataDir, seedDefaults } = m as { dataDir?: unknown; seedDefaults?: unknown };
        if (typeof dataDir === 'string' && dataDir) init(dataDir, seedDefaults !== false);
        return;
      }
      case 'port': {
        const port = event.ports[0];
        if (port) serve(port);
        return;
      }
      case 'shutdown': void shutdown(); return;
    }
  });

  return {
    engine,
    get sessions() { return served.size; },
  };
}

async function defaultOpen(opts: { dataDir: string; seedDefaults: boolean }): Promise<ServedEngine> {
  // Loaded on init, so the process answers pings while the engine's modules load.
  const { Engine } = await import('./engine/engine');
  return Engine.open({ ...opts, logEcho: echoWarnings });
}

function echoWarnings(entry: LogEntry): void {
  if (entry.level === 'warn' || entry.level === 'error') console.error(`[core] ${entry.level} ${entry.source}: ${entry.message}`);
}

// Run only as the utility-process entry: elsewhere (tests, plain Node) there is no parentPort.
const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) startCoreMain(parentPort);
