import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreError } from '../rpc';
import { SqliteHistory, type HistoryStore } from './history';
import { DataDirLock } from './lock';
import { migrate } from './migrations';
import { profileTable, type ProfileTable } from './profiles';
import { guarded, recordTable, type RecordTable } from './record-table';
import { isCorruption, storeFailure } from './sqlite-error';

export type { HistoryRow, HistoryStore } from './history';
export type { ProfileTable, StoredProfile } from './profiles';

export const DB_FILE = 'relaydesk.db';

/** An instance as persisted: the engine's record, spec kept as opaque JSON. */
export interface StoredInstance {
  id: string;
  name: string;
  type: string;
  spec: unknown;
  /** Free-form labels (InstanceMeta), opaque JSON; absent or {} when none were set. */
  meta?: unknown;
  autoStart: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Cumulative bytes of one scope ("total", "instance:<id>", "outbound:<tag>"). */
export interface CounterValue {
  up: number;
  down: number;
}

export type InstanceTable = RecordTable<StoredInstance>;

export interface SettingsTable {
  /** The stored JSON value, or undefined. */
  get(key: string): unknown;
  /** Stores `value` as JSON; undefined deletes the key. */
  set(key: string, value: unknown): void;
  all(): Record<string, unknown>;
}

export interface CounterTable {
  load(): Map<string, CounterValue>;
  /** Upserts the given scopes (absolute values); other scopes are untouched. */
  save(values: Map<string, CounterValue>): void;
  /** Deletes every counter. */
  reset(): void;
  /** Deletes one scope's counter. */
  delete(scope: string): void;
}

/**
 * The engine's persistent state: one SQLite database (`relaydesk.db`) in the data dir, guarded by
 * a lock file so only one RelayDesk uses it. Every write is a transaction; `tx` groups several.
 * Failures throw CoreError E_STORE_FAILED (E_STORE_CORRUPT when SQLite finds damage).
 */
export class Store {
  readonly instances: InstanceTable;
  readonly profiles: ProfileTable;
  readonly settings: SettingsTable;
  readonly history: HistoryStore;
  readonly counters: CounterTable;
  private closed = false;

  private constructor(readonly dataDir: string, private readonly db: Database.Database, private readonly lock: DataDirLock) {
    this.instances = instanceTable(db);
    this.profiles = profileTable(db);
    this.settings = settingsTable(db);
    this.history = new SqliteHistory(db);
    this.counters = counterTable(db);
  }

  /**
   * Creates `dataDir`, takes its lock, opens `relaydesk.db` and migrates it.
   * E_STORE_LOCKED: another live process holds the dir. E_STORE_CORRUPT: not a database, damaged,
   * or written by a newer RelayDesk. E_STORE_FAILED: anything else (permissions, disk).
   */
  static open(dataDir: string): Store {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new CoreError('E_STORE_FAILED', `cannot create data dir ${dataDir}: ${(err as Error).message}`, { cause: err });
    }
    const lock = DataDirLock.acquire(dataDir);
    const file = join(dataDir, DB_FILE);
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      configure(db);
      migrate(db, file);
      return new Store(dataDir, db, lock);
    } catch (err) {
      db?.close();
      lock.release();
      if (err instanceof CoreError) throw err;
      throw isCorruption(err)
        ? new CoreError('E_STORE_CORRUPT', `${file} is not a usable RelayDesk database (${(err as Error).message}); move it away to start afresh`, { cause: err })
        : storeFailure(`open ${file}`, err);
    }
  }

  /** Runs `fn` (synchronous) in one transaction; nested calls become savepoints. */
  tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      throw isSqliteError(err) ? storeFailure('transaction', err) : err;
    }
  }

  /** Closes the database (checkpointing the WAL) and releases the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.lock.release();
    }
  }
}

function configure(db: Database.Database): void {
  // WAL with synchronous=NORMAL: a commit is in the WAL file (handed to the OS) before it returns,
  // so it survives the process being killed at any point; only an OS crash or power loss can lose
  // the last commits (never corrupt the file). Commits skip fsync, which keeps 1 Hz stats cheap.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Reading the schema surfaces "file is not a database" here, under our error mapping.
  db.prepare('SELECT count(*) FROM sqlite_schema').get();
}

function instanceTable(db: Database.Database): InstanceTable {
  return recordTable<StoredInstance>(db, {
    table: 'instances', noun: 'instance',
    columns: ['id', 'name', 'type', 'spec', 'meta', 'auto_start', 'created_at', 'updated_at'],
    toRow: (i) => ({
      id: i.id, name: i.name, type: i.type, spec: JSON.stringify(i.spec ?? null), meta: JSON.stringify(i.meta ?? {}),
      auto_start: i.autoStart ? 1 : 0, created_at: i.createdAt, updated_at: i.updatedAt,
    }),
    fromRow: (r) => ({
      id: r.id as string, name: r.name as string, type: r.type as string, spec: JSON.parse(r.spec as string),
      meta: JSON.parse(r.meta as string), autoStart: r.auto_start === 1, createdAt: r.created_at as number, updatedAt: r.updated_at as number,
    }),
  });
}

function settingsTable(db: Database.Database): SettingsTable {
  const get = db.prepare('SELECT value FROM settings WHERE key = ?').pluck();
  const all = db.prepare('SELECT key, value FROM settings ORDER BY key').raw();
  const set = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const del = db.prepare('DELETE FROM settings WHERE key = ?');
  return {
    get: guarded('read setting', (key: string) => {
      const v = get.get(key) as string | undefined;
      return v === undefined ? undefined : JSON.parse(v);
    }),
    set: guarded('write setting', (key: string, value: unknown) => {
      if (value === undefined) del.run(key);
      else set.run(key, JSON.stringify(value));
    }),
    all: guarded('read settings', () => Object.fromEntries((all.all() as [string, string][]).map(([k, v]) => [k, JSON.parse(v)]))),
  };
}

function counterTable(db: Database.Database): CounterTable {
  const load = db.prepare('SELECT scope, up, down FROM counters').raw();
  const upsert = db.prepare('INSERT INTO counters (scope, up, down) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET up = excluded.up, down = excluded.down');
  const reset = db.prepare('DELETE FROM counters');
  const del = db.prepare('DELETE FROM counters WHERE scope = ?');
  const saveAll = db.transaction((values: Map<string, CounterValue>) => {
    for (const [scope, v] of values) upsert.run(scope, v.up, v.down);
  });
  return {
    load: guarded('load counters', () => new Map((load.all() as [string, number, number][]).map(([s, up, down]) => [s, { up, down }]))),
    save: guarded('save counters', (values: Map<string, CounterValue>) => { if (values.size) saveAll(values); }),
    reset: guarded('reset counters', () => { reset.run(); }),
    delete: guarded('delete counter', (scope: string) => { del.run(scope); }),
  };
}

function isSqliteError(err: unknown): boolean {
  return err instanceof Database.SqliteError;
}
