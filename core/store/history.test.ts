import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../stats/rollup';
import { SqliteHistory } from './history';
import { migrate } from './migrations';

const T = Date.UTC(2025, 0, 1); // an hour boundary
const S = 1000;
let db: Database.Database;
let h: SqliteHistory;

beforeEach(() => {
  db = new Database(':memory:');
  migrate(db, ':memory:');
  h = new SqliteHistory(db);
});
afterEach(() => db.close());

const all = (res: 1 | 60 | 3600, scope: string) => h.query(res, scope, 0, Number.MAX_SAFE_INTEGER);
const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('SqliteHistory', () => {
  it('appends seconds additively, skips zero rows and queries [from, to) in order', () => {
    h.append([{ scope: 'total', ts: T + 2 * S, up: 5, down: 6 }, { scope: 'total', ts: T, up: 1, down: 2 }, { scope: 'total', ts: T + S, up: 0, down: 0 }]);
    h.append([{ scope: 'total', ts: T, up: 10, down: 20 }, { scope: 'instance:a', ts: T, up: 7, down: 0 }]);
    expect(all(1, 'total')).toEqual([[T, 11, 22], [T + 2 * S, 5, 6]]);
    expect(h.query(1, 'total', T, T + 2 * S)).toEqual([[T, 11, 22]]);
    expect(h.query(1, 'total', T + S, T + 3 * S)).toEqual([[T + 2 * S, 5, 6]]);
    expect(all(1, 'instance:a')).toEqual([[T, 7, 0]]);
    expect(count('history_s')).toBe(3);
  });

  it('rolls closed minutes up from seconds and closed hours up from minutes', () => {
    // Minute 0: 3 rows, minute 1: 1 row, minute 2: none, minute 3 (open at `now`): 1 row.
    h.append([
      { scope: 'total', ts: T, up: 1, down: 10 }, { scope: 'total', ts: T + 30 * S, up: 2, down: 20 },
      { scope: 'total', ts: T + 59 * S, up: 4, down: 40 }, { scope: 'total', ts: T + MINUTE_MS, up: 8, down: 80 },
      { scope: 'instance:a', ts: T + 59 * S, up: 100, down: 0 },
      { scope: 'total', ts: T + 3 * MINUTE_MS, up: 16, down: 160 },
    ]);
    h.rollUp(T + 3 * MINUTE_MS + 10 * S);
    expect(all(60, 'total')).toEqual([[T, 7, 70], [T + MINUTE_MS, 8, 80]]);
    expect(all(60, 'instance:a')).toEqual([[T, 100, 0]]);
    expect(all(3600, 'total')).toEqual([]); // hour 0 is still open

    h.rollUp(T + HOUR_MS + 5 * S);
    expect(all(60, 'total')).toEqual([[T, 7, 70], [T + MINUTE_MS, 8, 80], [T + 3 * MINUTE_MS, 16, 160]]);
    expect(all(3600, 'total')).toEqual([[T, 31, 310]]);
    expect(all(3600, 'instance:a')).toEqual([[T, 100, 0]]);
  });

  it('is idempotent: re-running recomputes instead of adding, and picks up late rows', () => {
    h.append([{ scope: 'total', ts: T + 5 * S, up: 1, down: 1 }, { scope: 'total', ts: T + MINUTE_MS + 5 * S, up: 2, down: 2 }]);
    const now = T + HOUR_MS + 2 * MINUTE_MS;
    h.rollUp(now);
    h.rollUp(now);
    h.rollUp(now + 30 * S);
    expect(all(60, 'total')).toEqual([[T, 1, 1], [T + MINUTE_MS, 2, 2]]);
    expect(all(3600, 'total')).toEqual([[T, 3, 3]]);
    // A second appended late into the last rolled minute (a crash between append and roll-up).
    h.append([{ scope: 'total', ts: T + MINUTE_MS + 59 * S, up: 10, down: 0 }]);
    h.rollUp(now + MINUTE_MS);
    expect(all(60, 'total')).toEqual([[T, 1, 1], [T + MINUTE_MS, 12, 2]]);
    expect(all(3600, 'total')).toEqual([[T, 13, 3]]);
  });

  it('after a long downtime rolls up old seconds before pruning them', () => {
    h.append([{ scope: 'total', ts: T + 10 * S, up: 3, down: 4 }]);
    const later = T + 5 * HOUR_MS;
    h.rollUp(later);
    h.prune(later);
    expect(count('history_s')).toBe(0);
    expect(all(60, 'total')).toEqual([[T, 3, 4]]);
    expect(all(3600, 'total')).toEqual([[T, 3, 4]]);
    // Seconds gone: a re-run keeps the rolled rows instead of zeroing them.
    h.rollUp(later + MINUTE_MS);
    expect(all(60, 'total')).toEqual([[T, 3, 4]]);
  });

  it('prunes seconds after 1 h (whole minutes), minutes after 24 h (whole hours), hours after 90 days', () => {
    const now = T + 100 * DAY_MS + 30 * MINUTE_MS + 30 * S;
    const sCut = now - HOUR_MS - 30 * S; // floor to the minute of now - 1 h
    const mCut = now - DAY_MS - 30 * MINUTE_MS - 30 * S; // floor to the hour of now - 24 h
    const hCut = now - 90 * DAY_MS - 30 * MINUTE_MS - 30 * S;
    h.append([{ scope: 'total', ts: sCut - S, up: 1, down: 1 }, { scope: 'total', ts: sCut, up: 2, down: 2 }]);
    db.exec(`INSERT INTO history_m VALUES ('total', ${mCut - MINUTE_MS}, 1, 1), ('total', ${mCut}, 2, 2)`);
    db.exec(`INSERT INTO history_h VALUES ('total', ${hCut - HOUR_MS}, 1, 1), ('total', ${hCut}, 2, 2)`);
    h.prune(now);
    expect(all(1, 'total')).toEqual([[sCut, 2, 2]]);
    expect(all(60, 'total')).toEqual([[mCut, 2, 2]]);
    expect(all(3600, 'total')).toEqual([[hCut, 2, 2]]);
    h.prune(now);
    expect(count('history_s') + count('history_m') + count('history_h')).toBe(3);
  });
});
