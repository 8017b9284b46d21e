import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Conf from 'conf';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PREFS, PREFS_VERSION, confBackend, memoryBackend, migratePrefs, openPrefs } from './prefs';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** electron-store is `conf` with Electron's paths: the same file format and `store` accessor. */
function confAt(dir: string) {
  return new Conf<Record<string, unknown>>({ cwd: dir, configName: 'prefs', projectName: 'relaydesk-test' });
}

describe('prefs', () => {
  it('first run: defaults, written back with the version', () => {
    const backend = memoryBackend();
    const prefs = openPrefs(backend);
    expect(prefs.get()).toEqual(DEFAULT_PREFS);
    expect(backend.data).toEqual({ ...DEFAULT_PREFS });
    expect(prefs.get().version).toBe(PREFS_VERSION);
  });

  it('unversioned data: valid keys kept, invalid ones defaulted, unknown ones dropped', () => {
    const { prefs, changed } = migratePrefs({
      theme: 'dark', language: 'klingon', closeToTray: false, startMinimized: 'yes',
      window: { x: 10, y: 20, width: 1000, height: 700 }, junk: 1,
      savedSystemProxy: { driver: 'gnome', savedAt: 5, settings: { mode: "'none'" } },
    });
    expect(changed).toBe(true);
    expect(prefs).toEqual({
      version: PREFS_VERSION, theme: 'dark', language: 'system', closeToTray: false, startMinimized: false,
      window: { x: 10, y: 20, width: 1000, height: 700, maximized: false },
      savedSystemProxy: { driver: 'gnome', savedAt: 5, settings: { mode: "'none'" } },
      systemProxyOnLaunch: false,
    });
  });

  it('a broken window entry does not lose the rest; garbage files load as defaults', () => {
    expect(migratePrefs({ version: 1, theme: 'light', window: { width: 5, height: 'x' } }).prefs)
      .toMatchObject({ theme: 'light', window: null });
    expect(migratePrefs(null).prefs).toEqual(DEFAULT_PREFS);
    expect(migratePrefs([1, 2]).prefs).toEqual(DEFAULT_PREFS);
  });

  it('current data is not rewritten; updates persist and notify', () => {
    const backend = memoryBackend({ ...DEFAULT_PREFS, theme: 'light' });
    let writes = 0;
    const counting = { read: backend.read, write: (a: Record<string, unknown>) => { writes++; backend.write(a); } };
    const prefs = openPrefs(counting);
    expect(writes).toBe(0);
    const seen: string[] = [];
    const off = prefs.onChange((p) => seen.push(p.language));
    const next = prefs.update({ language: 'zh-CN', closeToTray: false });
    expect(next).toMatchObject({ theme: 'light', language: 'zh-CN', closeToTray: false });
    expect(backend.data).toMatchObject({ language: 'zh-CN', closeToTray: false, version: PREFS_VERSION });
    off();
    prefs.update({ language: 'en' });
    expect(seen).toEqual(['zh-CN']);
    expect(writes).toBe(2);
    expect(Object.isFrozen(prefs.get())).toBe(true);
  });

  it('an invalid update value falls back to the default instead of being stored', () => {
    const prefs = openPrefs(memoryBackend());
    prefs.update({ theme: 'neon' as never });
    expect(prefs.get().theme).toBe('system');
  });

  it('data from a newer version is read but never overwritten', () => {
    const stored = { version: PREFS_VERSION + 1, theme: 'dark', futureKey: [1] };
    const backend = memoryBackend(stored);
    const prefs = openPrefs(backend);
    expect(prefs.get().theme).toBe('dark');
    prefs.update({ theme: 'light' });
    expect(prefs.get().theme).toBe('light');
    expect(backend.data).toBe(stored);
  });

  it('round-trips through electron-store\'s file store (conf) on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relaydesk-prefs-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'prefs.json'), JSON.stringify({ theme: 'dark', startMinimized: true }));
    const prefs = openPrefs(confBackend(confAt(dir)));
    expect(prefs.get()).toMatchObject({ theme: 'dark', startMinimized: true, closeToTray: true });
    prefs.update({ window: { x: 1, y: 2, width: 900, height: 600, maximized: true } });
    const onDisk = JSON.parse(readFileSync(join(dir, 'prefs.json'), 'utf8'));
    expect(onDisk).toMatchObject({ version: PREFS_VERSION, theme: 'dark', window: { width: 900, maximized: true } });
    expect(openPrefs(confBackend(confAt(dir))).get()).toEqual(prefs.get());
  });
});
