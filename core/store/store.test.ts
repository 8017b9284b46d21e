import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../rpc';
import { storeSuite } from '../test/store-suite';
import { LOCK_FILE } from './lock';
import { migrate, SCHEMA_VERSION } from './migrations';
import { DB_FILE, Store, type StoredInstance } from './store';

const { dirs, openStore } = storeSuite();

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CoreError);
    return (err as CoreError).code;
  }
  return undefined;
}

const inst = (id: string, over: Partial<StoredInstance> = {}): StoredInstance => ({
  id, name: `name-${id}`, type: 'mixed', spec: { type: 'mixed', listen: '127.0.0.1:0', nested: [1, { a: null }] },
  meta: { peer: { sid: '', type: '', alias: '' }, tags: { env: 'test' } }, autoStart: true, createdAt: 1000, updatedAt: 1000, ...over,
});

describe('Store', () => {
  it('creates the data dir, the database in WAL mode, and the lock file', () => {
    const dir = join(dirs.make(), 'nested', 'data');
    const s = openStore(dir);
    expect(s.dataDir).toBe(dir);
    expect(existsSync(join(dir, DB_FILE))).toBe(true);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    s.close();
    s.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('stores instances in creation order with CRUD and typed errors', () => {
    const s = openStore();
    s.instances.insert(inst('b', { createdAt: 5 }));
    s.instances.insert(inst('a', { createdAt: 5, autoStart: false }));
    s.instances.insert(inst('c', { createdAt: 1 }));
    expect(s.instances.list().map((i) => i.id)).toEqual(['b', 'a', 'c']);
    expect(s.instances.get('a')).toEqual(inst('a', { createdAt: 5, autoStart: false }));
    expect(s.instances.get('zzz')).toBeUndefined();
    expect(codeOf(() => s.instances.insert(inst('a')))).toBe('E_CONFIG_CONFLICT');

    s.instances.update(inst('b', { name: 'renamed', spec: { type: 'socks' }, type: 'socks', autoStart: false, updatedAt: 9 }));
    expect(s.instances.get('b')).toMatchObject({ name: 'renamed', type: 'socks', spec: { type: 'socks' }, autoStart: false, updatedAt: 9, createdAt: 1000 });
    expect(codeOf(() => s.instances.update(inst('missing')))).toBe('E_NOT_FOUND');

    expect(s.instances.delete('a')).toBe(true);
    expect(s.instances.delete('a')).toBe(false);
    s.instances.insert(inst('a'));
    expect(s.instances.list().map((i) => i.id)).toEqual(['b', 'c', 'a']);
  });

  it('stores settings as JSON values', () => {
    const s = openStore();
    expect(s.settings.get('route')).toBeUndefined();
    s.settings.set('route', { mode: 'rule', rules: [{ type: 'domain', value: 'a.com' }] });
    s.settings.set('seeded', 123);
    s.settings.set('flag', false);
    s.settings.set('route', { mode: 'direct' });
    expect(s.settings.get('route')).toEqual({ mode: 'direct' });
    expect(s.settings.all()).toEqual({ flag: false, route: { mode: 'direct' }, seeded: 123 });
    s.settings.set('flag', undefined);
    expect(s.settings.get('flag')).toBeUndefined();
  });

  it('saves, loads and resets counters', () => {
    const s = openStore();
    s.counters.save(new Map([['total', { up: 1, down: 2 }], ['instance:x', { up: 3, down: 4 }]]));
    s.counters.save(new Map([['total', { up: 10, down: 20 }]]));
    expect(s.counters.load()).toEqual(new Map([['total', { up: 10, down: 20 }], ['instance:x', { up: 3, down: 4 }]]));
    s.counters.reset();
    expect(s.counters.load().size).toBe(0);
  });

  it('runs tx as one transaction: a throw rolls back every write', () => {
    const s = openStore();
    expect(s.tx(() => { s.instances.insert(inst('x')); return 7; })).toBe(7);
    expect(() => s.tx(() => {
      s.instances.insert(inst('y'));
      s.settings.set('k', 1);
      s.history.append([{ scope: 'total', ts: 1000, up: 1, down: 1 }]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(s.instances.get('y')).toBeUndefined();
    expect(s.settings.get('k')).toBeUndefined();
    expect(s.history.query(1, 'total', 0, 10_000)).toEqual([]);
    // An inner failure inside a nested tx rolls back only the inner part when caught.
    s.tx(() => {
      s.settings.set('outer', 1);
      expect(codeOf(() => s.tx(() => { s.settings.set('inner', 1); s.instances.insert(inst('x')); }))).toBe('E_CONFIG_CONFLICT');
    });
    expect(s.settings.all()).toEqual({ outer: 1 });
  });

  it('keeps everything across a close and a reopen, without migrating again', () => {
    const dir = dirs.make();
    const first = Store.open(dir);
    first.instances.insert(inst('keep'));
    first.settings.set('k', 'v');
    first.counters.save(new Map([['total', { up: 5, down: 6 }]]));
    first.history.append([{ scope: 'total', ts: 3000, up: 1, down: 2 }]);
    first.close();
    const second = openStore(dir);
    expect(second.instances.list()).toEqual([inst('keep')]);
    expect(second.settings.get('k')).toBe('v');
    expect(second.counters.load().get('total')).toEqual({ up: 5, down: 6 });
    expect(second.history.query(1, 'total', 0, 10_000)).toEqual([[3000, 1, 2]]);
  });

  it('refuses a database from a newer schema with E_STORE_CORRUPT and releases the lock', () => {
    const dir = dirs.make();
    const db = new Database(join(dir, DB_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    let err: CoreError | undefined;
    try { Store.open(dir); } catch (e) { err = e as CoreError; }
    expect(err?.code).toBe('E_STORE_CORRUPT');
    expect(err?.message).toContain(`schema version ${SCHEMA_VERSION + 5}, newer than this RelayDesk understands (${SCHEMA_VERSION})`);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a file that is not a database with E_STORE_CORRUPT', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, DB_FILE), Buffer.alloc(8192, 'garbage! '));
    let err: CoreError | undefined;
    try { Store.open(dir); } catch (e) { err = e as CoreError; }
    expect(err?.code).toBe('E_STORE_CORRUPT');
    expect(err?.message).toContain('is not a usable RelayDesk database');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('fails with E_STORE_FAILED when the data dir cannot be created', () => {
    const file = join(dirs.make(), 'a-file');
    writeFileSync(file, 'x');
    expect(codeOf(() => Store.open(join(file, 'data')))).toBe('E_STORE_FAILED');
  });
});

describe('migrate', () => {
  it('applies pending migrations in order, each with its version, and stops at a failing one', () => {
    const db = new Database(':memory:');
    const list = ['CREATE TABLE a (x)', 'CREATE TABLE b (x)', 'CREATE TABLE c (x); CREATE TABLE a (y)'];
    migrate(db, 'mem', list.slice(0, 1));
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(() => migrate(db, 'mem', list)).toThrow(/already exists/);
    // Migration 2 committed; migration 3 rolled back as a whole (no table c).
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['a', 'b']);
    migrate(db, 'mem', list.slice(0, 2));
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });
});
