import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteHistory } from '../store/history';
import { migrate } from '../store/migrations';
import { DAY_MS, historySeries, HOUR_MS, MINUTE_MS, pruneCutoff, rollupWindow, secondBucket } from './rollup';

const T = Date.UTC(2025, 0, 1);
const S = 1000;

describe('roll-up policy', () => {
  it('puts a tick in the second its interval ends in', () => {
    expect(secondBucket(T + 5 * S)).toBe(T + 4 * S);
    expect(secondBucket(T + 5 * S + 1)).toBe(T + 5 * S);
    expect(secondBucket(T + 5 * S + 999)).toBe(T + 5 * S);
  });

  it('recomputes closed periods from the last rolled one, or the lookback if earlier', () => {
    expect(rollupWindow(T + 10 * MINUTE_MS + 5 * S, MINUTE_MS, null)).toEqual({ from: 0, to: T + 10 * MINUTE_MS });
    expect(rollupWindow(T + 10 * MINUTE_MS + 5 * S, MINUTE_MS, T + 3 * MINUTE_MS)).toEqual({ from: T + 3 * MINUTE_MS, to: T + 10 * MINUTE_MS });
    expect(rollupWindow(T + 10 * MINUTE_MS + 5 * S, MINUTE_MS, T + 9 * MINUTE_MS)).toEqual({ from: T + 8 * MINUTE_MS, to: T + 10 * MINUTE_MS });
    expect(rollupWindow(T + 5 * HOUR_MS, HOUR_MS, T + 4 * HOUR_MS)).toEqual({ from: T + 3 * HOUR_MS, to: T + 5 * HOUR_MS });
  });

  it('prunes at the next coarser boundary', () => {
    const now = T + 2 * DAY_MS + 90 * MINUTE_MS + 7 * S;
    expect(pruneCutoff(now, 1)).toBe(T + 2 * DAY_MS + 30 * MINUTE_MS);
    expect(pruneCutoff(now, 60)).toBe(T + DAY_MS + HOUR_MS);
    expect(pruneCutoff(now, 3600)).toBe(T + 2 * DAY_MS + HOUR_MS - 90 * DAY_MS);
  });
});

describe('historySeries against the SQLite history', () => {
  let db: Database.Database;
  let h: SqliteHistory;
  const series = (range: '1h' | '24h' | '90d', now: number, scope = 'total') => historySeries(h.query.bind(h), range, scope, now);
  const nonZero = (points: Array<[number, number, number]>) => points.filter((p) => p[1] !== 0 || p[2] !== 0);

  beforeEach(() => {
    db = new Database(':memory:');
    migrate(db, ':memory:');
    h = new SqliteHistory(db);
  });
  afterEach(() => db.close());

  it('returns one point per second for the last hour, ending with the current second', () => {
    const now = T + 2 * HOUR_MS + 500;
    h.append([{ scope: 'total', ts: T + 2 * HOUR_MS, up: 1, down: 2 }, { scope: 'total', ts: T + HOUR_MS + S, up: 3, down: 4 }, { scope: 'total', ts: T + HOUR_MS, up: 9, down: 9 }]);
    const s = series('1h', now);
    expect(s).toMatchObject({ range: '1h', scope: 'total', resolution: 1 });
    expect(s.points).toHaveLength(3600);
    expect(s.points[0][0]).toBe(T + HOUR_MS + S);
    expect(s.points.at(-1)).toEqual([T + 2 * HOUR_MS, 1, 2]);
    expect(nonZero(s.points)).toEqual([[T + HOUR_MS + S, 3, 4], [T + 2 * HOUR_MS, 1, 2]]);
  });

  it('answers 24 h by minute with rolled minutes plus the recent ones from seconds, never twice', () => {
    h.append([
      { scope: 'total', ts: T + 10 * S, up: 1, down: 1 }, // minute 0: rolled below
      { scope: 'total', ts: T + 2 * MINUTE_MS + 5 * S, up: 2, down: 2 }, // previous minute at `now`, also rolled
      { scope: 'total', ts: T + 3 * MINUTE_MS + 1 * S, up: 4, down: 4 }, // current minute
    ]);
    h.rollUp(T + 3 * MINUTE_MS);
    const now = T + 3 * MINUTE_MS + 2 * S;
    const s = series('24h', now);
    expect(s.resolution).toBe(60);
    expect(s.points).toHaveLength(1440);
    expect(s.points.at(-1)![0]).toBe(T + 3 * MINUTE_MS);
    expect(nonZero(s.points)).toEqual([[T, 1, 1], [T + 2 * MINUTE_MS, 2, 2], [T + 3 * MINUTE_MS, 4, 4]]);
  });

  it('answers 90 d by hour including the current hour from minutes and seconds', () => {
    h.append([
      { scope: 'instance:a', ts: T + 30 * S, up: 1, down: 0 }, // hour 0
      { scope: 'instance:a', ts: T + HOUR_MS + 5 * MINUTE_MS, up: 2, down: 0 }, // hour 1, rolled into minutes
      { scope: 'instance:a', ts: T + HOUR_MS + 20 * MINUTE_MS + 3 * S, up: 4, down: 0 }, // hour 1, recent seconds
    ]);
    h.rollUp(T + HOUR_MS + 19 * MINUTE_MS);
    expect(h.query(3600, 'instance:a', 0, Infinity)).toEqual([[T, 1, 0]]);
    const s = series('90d', T + HOUR_MS + 20 * MINUTE_MS + 10 * S, 'instance:a');
    expect(s.resolution).toBe(3600);
    expect(s.points).toHaveLength(90 * 24);
    expect(nonZero(s.points)).toEqual([[T, 1, 0], [T + HOUR_MS, 6, 0]]);
    expect(nonZero(series('90d', T + HOUR_MS + 20 * MINUTE_MS + 10 * S, 'total').points)).toEqual([]);
  });
});
