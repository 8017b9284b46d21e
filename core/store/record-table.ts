import type Database from 'better-sqlite3';
import { CoreError } from '../rpc';
import { storeFailure } from './sqlite-error';

/** CRUD over one table of records keyed by `id` and kept in creation order (`seq`). */
export interface RecordTable<T extends { id: string }> {
  /** All records in creation order. */
  list(): T[];
  get(id: string): T | undefined;
  /** E_CONFIG_CONFLICT if the id exists. */
  insert(record: T): void;
  /** Replaces every field but id (and creation order); E_NOT_FOUND if the id does not exist. */
  update(record: T): void;
  /** False if there was nothing to delete. */
  delete(id: string): boolean;
}

export type Row = Record<string, unknown>;

/** How a record maps to its table. */
export interface RecordMapping<T> {
  table: string;
  /** "instance", "profile": for error messages. */
  noun: string;
  /** Column names, `id` first; each is bound from the same key of toRow's result. */
  columns: readonly string[];
  toRow(record: T): Row;
  fromRow(row: Row): T;
}

/** A RecordTable on `db` (prepared once); every SQLite failure becomes E_STORE_*. */
export function recordTable<T extends { id: string }>(db: Database.Database, m: RecordMapping<T>): RecordTable<T> {
  const cols = m.columns.join(', ');
  const list = db.prepare(`SELECT ${cols} FROM ${m.table} ORDER BY seq`);
  const get = db.prepare(`SELECT ${cols} FROM ${m.table} WHERE id = ?`);
  const exists = db.prepare(`SELECT 1 FROM ${m.table} WHERE id = ?`).pluck();
  const insert = db.prepare(`INSERT INTO ${m.table} (${cols}) VALUES (${m.columns.map((c) => `@${c}`).join(', ')})`);
  const update = db.prepare(`UPDATE ${m.table} SET ${m.columns.slice(1).map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`);
  const del = db.prepare(`DELETE FROM ${m.table} WHERE id = ?`);
  return {
    list: guarded(`list ${m.noun}s`, () => (list.all() as Row[]).map(m.fromRow)),
    get: guarded(`read ${m.noun}`, (id: string) => {
      const row = get.get(id) as Row | undefined;
      return row && m.fromRow(row);
    }),
    insert: guarded(`insert ${m.noun}`, (r: T) => {
      if (exists.get(r.id)) throw new CoreError('E_CONFIG_CONFLICT', `${article(m.noun)} ${m.noun} with id "${r.id}" already exists`);
      insert.run(m.toRow(r));
    }),
    update: guarded(`update ${m.noun}`, (r: T) => {
      if (update.run(m.toRow(r)).changes === 0) throw new CoreError('E_NOT_FOUND', `no ${m.noun} with id "${r.id}"`);
    }),
    delete: guarded(`delete ${m.noun}`, (id: string) => del.run(id).changes > 0),
  };
}

/** Runs `fn`, turning SQLite errors into E_STORE_* CoreErrors naming `operation`. */
export function guarded<A extends unknown[], R>(operation: string, fn: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      throw storeFailure(operation, err);
    }
  };
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}
