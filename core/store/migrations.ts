import type Database from 'better-sqlite3';
import { CoreError } from '../rpc';

/**
 * Schema migrations, oldest first. Migration i (0-based) brings the database from
 * `PRAGMA user_version` i to i + 1; each runs in its own transaction together with the version
 * bump. Append only: never edit a migration that has shipped.
 */
export const migrations: readonly string[] = [
  // 1: instances, settings, cumulative counters, traffic history at three resolutions.
  `
  CREATE TABLE instances (
    seq INTEGER PRIMARY KEY,              -- creation order (stable across VACUUM, unlike rowid)
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    spec TEXT NOT NULL,                   -- JSON
    auto_start INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL                   -- JSON
  ) WITHOUT ROWID;
  CREATE TABLE counters (
    scope TEXT PRIMARY KEY,               -- "total", "instance:<id>", "outbound:<tag>"
    up INTEGER NOT NULL,
    down INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE history_s (scope TEXT NOT NULL, ts INTEGER NOT NULL, up INTEGER NOT NULL, down INTEGER NOT NULL, PRIMARY KEY (scope, ts)) WITHOUT ROWID;
  CREATE TABLE history_m (scope TEXT NOT NULL, ts INTEGER NOT NULL, up INTEGER NOT NULL, down INTEGER NOT NULL, PRIMARY KEY (scope, ts)) WITHOUT ROWID;
  CREATE TABLE history_h (scope TEXT NOT NULL, ts INTEGER NOT NULL, up INTEGER NOT NULL, down INTEGER NOT NULL, PRIMARY KEY (scope, ts)) WITHOUT ROWID;
  -- Roll-up and pruning select by time across scopes.
  CREATE INDEX history_s_ts ON history_s (ts);
  CREATE INDEX history_m_ts ON history_m (ts);
  CREATE INDEX history_h_ts ON history_h (ts);
  `,
  // 2: saved outbound profiles. Names are unique by the engine's check, not an index, so a
  // configuration file can swap two names in one transaction.
  `
  CREATE TABLE profiles (
    seq INTEGER PRIMARY KEY,              -- creation order
    id TEXT NOT NULL UNIQUE,              -- the outbound tag
    name TEXT NOT NULL,
    spec TEXT NOT NULL,                   -- JSON ProfileSpec
    source TEXT,                          -- subscription URL, or NULL
    latency TEXT,                         -- JSON Latency of the last test, or NULL
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // 3: free-form instance labels (NodePass meta: peer and tags), JSON.
  `
  ALTER TABLE instances ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = migrations.length;

/**
 * Brings `db` to SCHEMA_VERSION. A database from a newer RelayDesk is refused (E_STORE_CORRUPT)
 * rather than guessed at: its tables may mean something this build does not know.
 */
export function migrate(db: Database.Database, file: string, list: readonly string[] = migrations): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > list.length) {
    throw new CoreError('E_STORE_CORRUPT',
      `${file} has schema version ${current}, newer than this RelayDesk understands (${list.length}); ` +
      'use the RelayDesk version that wrote it, or another data dir');
  }
  for (let v = current; v < list.length; v++) {
    db.transaction(() => {
      db.exec(list[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
