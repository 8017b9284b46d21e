import type Database from 'better-sqlite3';
import { POLICY, pruneCutoff, rollupWindow, type Resolution } from '../stats/rollup';
import { storeFailure } from './sqlite-error';

/** One second of traffic of one scope ("total", "instance:<id>"). */
export interface HistoryRow {
  scope: string;
  /** Bucket start in ms, a whole second. */
  ts: number;
  up: number;
  down: number;
}

/**
 * Traffic history in three tables (1 s, 1 min, 1 h buckets). Only buckets with traffic are stored;
 * a missing bucket means zero. Retention and roll-up policy: `stats/rollup.ts`.
 */
export interface HistoryStore {
  /** Adds second rows; a row for an existing (scope, ts) is added to it. Rows of zero are skipped. */
  append(rows: HistoryRow[]): void;
  /** Stored rows `[ts, up, down]` with fromMs <= ts < toMs, ascending; gaps are not filled. */
  query(resolution: Resolution, scope: string, fromMs: number, toMs: number): Array<[number, number, number]>;
  /**
   * Recomputes closed minutes from seconds, then closed hours from minutes (idempotent: rows are
   * replaced by recomputation, never added to). Call before `prune` with the same clock.
   */
  rollUp(nowMs: number): void;
  /** Deletes seconds older than 1 h, minutes older than 24 h, hours older than 90 days. */
  prune(nowMs: number): void;
}

const TABLE: Record<Resolution, string> = { 1: 'history_s', 60: 'history_m', 3600: 'history_h' };

/** The SQLite implementation; statements are prepared once. */
export class SqliteHistory implements HistoryStore {
  private readonly insertSecond: Database.Statement;
  private readonly select: Record<Resolution, Database.Statement>;
  private readonly lastRow: Record<60 | 3600, Database.Statement>;
  private readonly rollInto: Record<60 | 3600, Database.Statement>;
  private readonly deleteOlder: Record<Resolution, Database.Statement>;
  private readonly appendAll: (rows: HistoryRow[]) => void;

  constructor(private readonly db: Database.Database) {
    this.insertSecond = db.prepare(
      `INSERT INTO history_s (scope, ts, up, down) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope, ts) DO UPDATE SET up = up + excluded.up, down = down + excluded.down`);
    const perResolution = <R extends Resolution>(rs: R[], make: (table: string, r: R) => Database.Statement) =>
      Object.fromEntries(rs.map((r) => [r, make(TABLE[r], r)])) as Record<R, Database.Statement>;
    this.select = perResolution([1, 60, 3600], (t) =>
      db.prepare(`SELECT ts, up, down FROM ${t} WHERE scope = ? AND ts >= ? AND ts < ? ORDER BY ts`).raw());
    this.lastRow = perResolution([60, 3600], (t) => db.prepare(`SELECT max(ts) FROM ${t}`).pluck());
    this.rollInto = perResolution([60, 3600], (t, r) => {
      const source = TABLE[r === 60 ? 1 : 60];
      const period = POLICY[r].periodMs;
      // WHERE before GROUP BY keeps the upsert unambiguous (see SQLite "upsert" parsing note).
      return db.prepare(
        `INSERT INTO ${t} (scope, ts, up, down)
         SELECT scope, (ts / ${period}) * ${period} AS bucket, sum(up), sum(down) FROM ${source}
         WHERE ts >= ? AND ts < ? GROUP BY scope, bucket
         ON CONFLICT (scope, ts) DO UPDATE SET up = excluded.up, down = excluded.down`);
    });
    this.deleteOlder = perResolution([1, 60, 3600], (t) => db.prepare(`DELETE FROM ${t} WHERE ts < ?`));
    this.appendAll = db.transaction((rows: HistoryRow[]) => {
      for (const r of rows) {
        if (r.up !== 0 || r.down !== 0) this.insertSecond.run(r.scope, r.ts, r.up, r.down);
      }
    });
  }

  append(rows: HistoryRow[]): void {
    if (rows.length === 0) return;
    try {
      this.appendAll(rows);
    } catch (err) {
      throw storeFailure('append history', err);
    }
  }

  query(resolution: Resolution, scope: string, fromMs: number, toMs: number): Array<[number, number, number]> {
    try {
      return this.select[resolution].all(scope, fromMs, toMs) as Array<[number, number, number]>;
    } catch (err) {
      throw storeFailure('read history', err);
    }
  }

  rollUp(nowMs: number): void {
    try {
      this.db.transaction(() => {
        for (const r of [60, 3600] as const) {
          const last = this.lastRow[r].get() as number | null;
          const { from, to } = rollupWindow(nowMs, POLICY[r].periodMs, last);
          if (from < to) this.rollInto[r].run(from, to);
        }
      })();
    } catch (err) {
      throw storeFailure('roll up history', err);
    }
  }

  prune(nowMs: number): void {
    try {
      this.db.transaction(() => {
        for (const r of [1, 60, 3600] as const) this.deleteOlder[r].run(pruneCutoff(nowMs, r));
      })();
    } catch (err) {
      throw storeFailure('prune history', err);
    }
  }
}
