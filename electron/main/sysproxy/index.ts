import { CoreError } from '../../../core/rpc/errors';
import type { SavedSystemProxy } from '../prefs';
import { macDriver } from './darwin';
import { detectLinuxDesktop, gnomeDriver, kdeDriver } from './linux';
import { ExecError, type Command, type Exec, type ProxyTarget, type SysProxyDriver } from './types';
import { winDriver } from './win32';

export type { ProxyTarget } from './types';

/** The driver for this OS and desktop, or null where the system proxy cannot be set. */
export function selectDriver(platform: string, env: Record<string, string | undefined>): SysProxyDriver | null {
  switch (platform) {
    case 'win32': return winDriver as SysProxyDriver;
    case 'darwin': return macDriver as SysProxyDriver;
    case 'linux':
      if (detectLinuxDesktop(env) === 'kde') return kdeDriver(env.KDE_SESSION_VERSION === '6' ? 6 : 5) as SysProxyDriver;
      return gnomeDriver as SysProxyDriver;
    default: return null;
  }
}

/** Where the user's replaced settings are kept between enable and disable (prefs, across restarts). */
export interface SavedSlot {
  get(): SavedSystemProxy | null;
  set(value: SavedSystemProxy | null): void;
}

export interface SystemProxyStatus {
  enabled: boolean;
  supported: boolean;
  /** Why reading failed (e.g. the tool is missing). */
  error?: string;
}

/** The OS proxy settings, changed through one driver; operations run one at a time. */
export interface SystemProxy {
  readonly supported: boolean;
  /** Reads the OS settings: do they point at `target`? Never throws; failures land in `error`. */
  status(target: ProxyTarget | null): Promise<SystemProxyStatus>;
  /** Saves the user's settings (unless already saved), then points the OS at `target`. */
  enable(target: ProxyTarget): Promise<void>;
  /** Restores the saved settings, or turns the proxy off when nothing was saved. */
  disable(): Promise<void>;
  /** On quit: restores what we replaced, if anything. Resolves true when it did. */
  restoreReplaced(): Promise<boolean>;
}

export interface SystemProxyOptions {
  /** null: this platform is unsupported (every change rejects with E_STATE_TRANSITION). */
  driver: SysProxyDriver | null;
  exec: Exec;
  saved: SavedSlot;
  /** Failures of best-effort steps (refresh signals) land here. */
  warn?: (message: string) => void;
  now?: () => number;
}

export function createSystemProxy(options: SystemProxyOptions): SystemProxy {
  const { driver, exec, saved, warn = () => undefined, now = Date.now } = options;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const need = (): SysProxyDriver => {
    if (!driver) throw new CoreError('E_STATE_TRANSITION', 'setting the system proxy is not supported on this platform');
    return driver;
  };

  const read = async (d: SysProxyDriver): Promise<unknown> => {
    try { return await d.read(exec); } catch (err) { throw describe(d, err, 'read'); }
  };

  const run = async (d: SysProxyDriver, commands: Command[]): Promise<void> => {
    for (const c of commands) {
      try {
        await exec(c.argv);
      } catch (err) {
        if (!c.bestEffort) throw describe(d, err, 'change');
        warn(`system proxy: ${c.argv[0]} failed (ignored): ${(err as Error).message}`);
      }
    }
  };

  /** The saved snapshot if it belongs to this driver and is well-formed. */
  const savedFor = (d: SysProxyDriver): unknown => {
    const s = saved.get();
    return s && s.driver === d.name && d.isSnapshot(s.settings) ? s.settings : undefined;
  };

  const restoreOrOff = async (d: SysProxyDriver): Promise<void> => {
    const current = await read(d);
    const snapshot = savedFor(d);
    await run(d, snapshot === undefined ? d.plan(false, { current }) : d.restore(snapshot, current));
    saved.set(null);
  };

  return {
    supported: driver !== null,
    status: (target) => serial(async () => {
      if (!driver) return { enabled: false, supported: false };
      try {
        const current = await read(driver);
        return { enabled: target !== null && driver.pointsAt(current, target), supported: true };
      } catch (err) {
        return { enabled: false, supported: !(err instanceof CoreError && (err.data as { missing?: boolean })?.missing), error: (err as Error).message };
      }
    }),
    enable: (target) => serial(async () => {
      const d = need();
      const current = await read(d);
      // Keep the first snapshot: after a crash the OS still points at us, and what we must
      // give back is what the user had before that.
      if (savedFor(d) === undefined && !d.pointsAt(current, target)) {
        saved.set({ driver: d.name, savedAt: now(), settings: current });
      }
      try {
        await run(d, d.plan(true, { target, current }));
      } catch (err) {
        // Half-written settings are worse than none: put back what was there.
        const snapshot = savedFor(d);
        if (snapshot !== undefined) await run(d, d.restore(snapshot, current)).then(() => saved.set(null), () => undefined);
        throw err;
      }
    }),
    disable: () => serial(async () => restoreOrOff(need())),
    restoreReplaced: () => serial(async () => {
      if (!driver || savedFor(driver) === undefined) return false;
      await restoreOrOff(driver);
      return true;
    }),
  };
}

const DESKTOP_NAMES: Record<SysProxyDriver['name'], string> = { gnome: 'GNOME', kde: 'KDE', macos: 'macOS', windows: 'Windows' };

/** An ExecError as a CoreError people can act on. */
function describe(d: SysProxyDriver, err: unknown, what: 'read' | 'change'): CoreError {
  const where = `the ${DESKTOP_NAMES[d.name]} proxy settings`;
  if (err instanceof ExecError && err.code === 'ENOENT') {
    return new CoreError('E_INTERNAL', `${err.argv[0]} not found: cannot ${what} ${where} (install it, or set the proxy by hand)`, { cause: err, data: { missing: true, tool: err.argv[0] } });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CoreError('E_INTERNAL', `cannot ${what} ${where}: ${message}`, { cause: err, data: { tool: d.tool } });
}
