import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../rpc';
import { storeSuite } from '../test/store-suite';
import { migrate, migrations } from './migrations';
import { DB_FILE, type StoredProfile } from './store';

const { dirs, openStore } = storeSuite();

const prof = (id: string, over: Partial<StoredProfile> = {}): StoredProfile => ({
  id, name: `name-${id}`, spec: { type: 'socks', host: '127.0.0.1', port: 1080, udp: true }, source: null, latency: null,
  createdAt: 1000, updatedAt: 1000, ...over,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CoreError);
    return (err as CoreError).code;
  }
  return undefined;
}

describe('Store profiles', () => {
  it('stores profiles in creation order with CRUD, JSON fields and typed errors', () => {
    const s = openStore();
    s.profiles.insert(prof('b'));
    s.profiles.insert(prof('a', { source: 'http://sub.example/x', latency: { connectMs: 3, httpMs: null, error: null, testedAt: 5 } }));
    expect(s.profiles.list().map((p) => p.id)).toEqual(['b', 'a']);
    expect(s.profiles.get('a')).toEqual(prof('a', { source: 'http://sub.example/x', latency: { connectMs: 3, httpMs: null, error: null, testedAt: 5 } }));
    expect(s.profiles.get('zzz')).toBeUndefined();
    expect(codeOf(() => s.profiles.insert(prof('a')))).toBe('E_CONFIG_CONFLICT');
    s.profiles.update(prof('b', { name: 'renamed', latency: null, updatedAt: 9 }));
    expect(s.profiles.get('b')).toMatchObject({ name: 'renamed', latency: null, updatedAt: 9, createdAt: 1000 });
    expect(codeOf(() => s.profiles.update(prof('missing')))).toBe('E_NOT_FOUND');
    expect(s.profiles.delete('b')).toBe(true);
    expect(s.profiles.delete('b')).toBe(false);
    s.profiles.insert(prof('b'));
    expect(s.profiles.list().map((p) => p.id)).toEqual(['a', 'b']);
  });

  it('keeps profiles across reopen', () => {
    const dir = dirs.make();
    const s = openStore(dir);
    s.profiles.insert(prof('p1'));
    s.close();
    expect(openStore(dir).profiles.list()).toEqual([prof('p1')]);
  });

  it('migrates a version-1 database to the profiles table without touching its instances', () => {
    const dir = dirs.make();
    const db = new Database(join(dir, DB_FILE));
    migrate(db, 'v1', migrations.slice(0, 1));
    db.prepare("INSERT INTO instances (id, name, type, spec, auto_start, created_at, updated_at) VALUES ('i1', 'old', 'mixed', '{}', 1, 1, 1)").run();
    db.close();
    const s = openStore(dir);
    expect(s.instances.list().map((i) => i.id)).toEqual(['i1']);
    expect(s.profiles.list()).toEqual([]);
    s.profiles.insert(prof('p1'));
    expect(s.profiles.list()).toHaveLength(1);
  });
});
