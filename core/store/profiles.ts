import type Database from 'better-sqlite3';
import { CoreError } from '../rpc';
import { storeFailure } from './sqlite-error';

/** An outbound profile as persisted; spec and latency are opaque JSON to the store. */
export interface StoredProfile {
  id: string;
  name: string;
  spec: unknown;
  /** The subscription URL it was imported from, or null. */
  source: string | null;
  /** The last latency test, or null. */
  latency: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface ProfileTable {
  /** All profiles in creation order. */
  list(): StoredProfile[];
  get(id: string): StoredProfile | undefined;
  /** E_CONFIG_CONFLICT if the id exists. */
  insert(p: StoredProfile): void;
  /** Replaces every field but id (and creation order); E_NOT_FOUND if the id does not exist. */
  update(p: StoredProfile): void;
  /** False if there was nothing to delete. */
  delete(id: string): boolean;
}

type Row = Record<string, unknown>;

export function profileTable(db: Database.Database): ProfileTable {
  const cols = 'id, name, spec, source, latency, created_at, updated_at';
  const list = db.prepare(`SELECT ${cols} FROM profiles ORDER BY seq`);
  const get = db.prepare(`SELECT ${cols} FROM profiles WHERE id = ?`);
  const exists = db.prepare('SELECT 1 FROM profiles WHERE id = ?').pluck();
  const insert = db.prepare(`INSERT INTO profiles (${cols}) VALUES (@id, @name, @spec, @source, @latency, @createdAt, @updatedAt)`);
  const update = db.prepare('UPDATE profiles SET name = @name, spec = @spec, source = @source, latency = @latency, created_at = @createdAt, updated_at = @updatedAt WHERE id = @id');
  const del = db.prepare('DELETE FROM profiles WHERE id = ?');
  const params = (p: StoredProfile) => ({
    id: p.id, name: p.name, spec: JSON.stringify(p.spec ?? null), source: p.source,
    latency: p.latency === null || p.latency === undefined ? null : JSON.stringify(p.latency),
    createdAt: p.createdAt, updatedAt: p.updatedAt,
  });
  return {
    list: guarded('list profiles', () => (list.all() as Row[]).map(toProfile)),
    get: guarded('read profile', (id: string) => {
      const row = get.get(id) as Row | undefined;
      return row && toProfile(row);
    }),
    insert: guarded('insert profile', (p: StoredProfile) => {
      if (exists.get(p.id)) throw new CoreError('E_CONFIG_CONFLICT', `a profile with id "${p.id}" already exists`);
      insert.run(params(p));
    }),
    update: guarded('update profile', (p: StoredProfile) => {
      if (update.run(params(p)).changes === 0) throw new CoreError('E_NOT_FOUND', `no profile with id "${p.id}"`);
    }),
    delete: guarded('delete profile', (id: string) => del.run(id).changes > 0),
  };
}

function toProfile(r: Row): StoredProfile {
  return {
    id: r.id as string, name: r.name as string, spec: JSON.parse(r.spec as string),
    source: (r.source as string | null) ?? null,
    latency: r.latency === null ? null : JSON.parse(r.latency as string),
    createdAt: r.created_at as number, updatedAt: r.updated_at as number,
  };
}

function guarded<A extends unknown[], R>(operation: string, fn: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      throw storeFailure(operation, err);
    }
  };
}
