import { z } from 'zod';
import { DesktopPrefs, Language, Theme, type DesktopPrefsPatch } from '../../core/rpc/desktop';
import type { Disposable } from './api-types';

/** The stored schema version; bump it and add a step to MIGRATIONS on an incompatible change. */
export const PREFS_VERSION = 1;

/** The window's last normal (not maximized) bounds. */
export const WindowState = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(200).max(20_000),
  height: z.number().int().min(200).max(20_000),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof WindowState>;

/** The user's OS proxy settings as they were before we replaced them (driver-specific data). */
export const SavedSystemProxy = z.object({
  /** Which driver read them: "gnome", "kde", "macos", "windows". */
  driver: z.string().min(1),
  savedAt: z.number(),
  settings: z.unknown(),
});
export type SavedSystemProxy = z.infer<typeof SavedSystemProxy>;

/** Everything main keeps in electron-store. */
export interface Prefs extends DesktopPrefs {
  version: number;
  /** @default null (first run: centered, default size) */
  window: WindowState | null;
  /** Set while the system proxy points at us; restored on disable and on quit. @default null */
  savedSystemProxy: SavedSystemProxy | null;
  /** The user turned the system proxy on and did not turn it off: turn it on again at launch. @default false */
  systemProxyOnLaunch: boolean;
}

export const DEFAULT_PREFS: Readonly<Prefs> = Object.freeze({
  version: PREFS_VERSION,
  theme: 'system',
  language: 'system',
  closeToTray: true,
  startMinimized: false,
  window: null,
  savedSystemProxy: null,
  systemProxyOnLaunch: false,
});

// Each key falls back to its default on its own: one bad value never loses the others.
const PrefsSchema = z.object({
  theme: Theme.catch(DEFAULT_PREFS.theme),
  language: Language.catch(DEFAULT_PREFS.language),
  closeToTray: z.boolean().catch(DEFAULT_PREFS.closeToTray),
  startMinimized: z.boolean().catch(DEFAULT_PREFS.startMinimized),
  window: WindowState.nullable().catch(null),
  savedSystemProxy: SavedSystemProxy.nullable().catch(null),
  systemProxyOnLaunch: z.boolean().catch(false),
});

/**
 * Steps from version N to N+1, applied in order to older data. Version 0 is data without a
 * version key (pre-release builds): it only needs normalizing, which every load does.
 */
const MIGRATIONS: Array<(raw: Record<string, unknown>) => Record<string, unknown>> = [
  (raw) => raw,
];

/** Where prefs live: electron-store in the app (see `confBackend`), memory or a file in tests. */
export interface PrefsBackend {
  read(): unknown;
  write(all: Record<string, unknown>): void;
}

/** Prefs with change notification. */
export interface PrefsStore {
  get(): Readonly<Prefs>;
  /** Shallow-merges `patch`, persists, notifies; returns the new prefs. */
  update(patch: Partial<Omit<Prefs, 'version'>>): Readonly<Prefs>;
  onChange(listener: (prefs: Readonly<Prefs>) => void): Disposable;
}

/**
 * Brings stored data of any version to the current shape: runs the migration steps, replaces
 * invalid or missing keys with defaults and drops unknown ones. `changed` says whether to write back.
 * Data from a newer version is read as far as it is understood and left unwritten.
 */
export function migratePrefs(raw: unknown): { prefs: Prefs; changed: boolean; newer: boolean } {
  let data: Record<string, unknown> = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : {};
  const from = typeof data.version === 'number' && Number.isInteger(data.version) && data.version >= 0 ? data.version : 0;
  const newer = from > PREFS_VERSION;
  for (let v = from; v < PREFS_VERSION; v++) data = MIGRATIONS[v](data);
  const prefs: Prefs = { ...PrefsSchema.parse(data), version: newer ? from : PREFS_VERSION };
  const changed = !newer && JSON.stringify(sortKeys(prefs)) !== JSON.stringify(sortKeys(raw));
  return { prefs, changed, newer };
}

/** Opens prefs over `backend`, migrating (and writing back) what it holds. */
export function openPrefs(backend: PrefsBackend): PrefsStore {
  const loaded = migratePrefs(backend.read());
  let prefs: Readonly<Prefs> = Object.freeze(loaded.prefs);
  const readOnly = loaded.newer;
  if (loaded.changed) backend.write({ ...prefs });
  const listeners = new Set<(p: Readonly<Prefs>) => void>();
  return {
    get: () => prefs,
    update(patch) {
      const next = migratePrefs({ ...prefs, ...patch, version: prefs.version }).prefs;
      prefs = Object.freeze(next);
      // A newer app's file is not rewritten by an older app; changes then last for this run only.
      if (!readOnly) backend.write({ ...prefs });
      for (const l of listeners) l(prefs);
      return prefs;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
  };
}

/** The desktop-contract slice of prefs. */
export function desktopPrefs(p: Readonly<Prefs>): DesktopPrefs {
  return { theme: p.theme, language: p.language, closeToTray: p.closeToTray, startMinimized: p.startMinimized };
}

/** Validates a contract patch into a prefs patch (unknown keys were already rejected by the schema). */
export function prefsPatch(patch: DesktopPrefsPatch): Partial<Prefs> {
  return DesktopPrefs.partial().parse(patch);
}

/** A backend over electron-store (or its base, `conf`): the whole object at once. */
export function confBackend(store: { store: Record<string, unknown> }): PrefsBackend {
  return {
    read: () => store.store,
    write: (all) => { store.store = all; },
  };
}

/** A backend in memory (first run without a writable profile, tests). */
export function memoryBackend(initial: unknown = {}): PrefsBackend & { data: unknown } {
  const b = {
    data: initial,
    read: () => b.data,
    write: (all: Record<string, unknown>) => { b.data = JSON.parse(JSON.stringify(all)); },
  };
  return b;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
}
