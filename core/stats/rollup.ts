import type { History, HistoryRange } from '../rpc';

/**
 * The traffic history policy, free of SQL: bucket sizes, how long each resolution is kept, which
 * closed periods a roll-up recomputes, and how a range is answered (persisted coarse rows plus the
 * recent periods recomputed from finer rows). `store/history.ts` executes it in SQL.
 *
 * Retention: seconds 1 h, minutes 24 h, hours 90 days. Pruning cuts at the boundary of the next
 * coarser period (seconds in whole minutes, minutes in whole hours), so a coarse period is always
 * rolled up from all of its fine rows or from none; each resolution is therefore kept for at least
 * its retention and at most one coarser period longer.
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Bucket length in seconds. */
export type Resolution = 1 | 60 | 3600;

export interface ResolutionPolicy {
  /** Bucket length in ms. */
  periodMs: number;
  /** Rows older than this (cut at `alignMs`) are pruned. */
  keepMs: number;
  /** Prune boundary alignment: the next coarser period (or the period itself for the coarsest). */
  alignMs: number;
}

export const POLICY: Record<Resolution, ResolutionPolicy> = {
  1: { periodMs: SECOND_MS, keepMs: HOUR_MS, alignMs: MINUTE_MS },
  60: { periodMs: MINUTE_MS, keepMs: DAY_MS, alignMs: HOUR_MS },
  3600: { periodMs: HOUR_MS, keepMs: 90 * DAY_MS, alignMs: HOUR_MS },
};

/**
 * A roll-up always recomputes at least this many closed coarse periods, so fine rows appended late
 * (a tick landing just after a boundary, a final flush) still reach the coarse table.
 */
export const ROLLUP_LOOKBACK_PERIODS = 2;

/** What each range returns: its resolution and its span. */
export const RANGES: Record<HistoryRange, { resolution: Resolution; spanMs: number }> = {
  '1h': { resolution: 1, spanMs: HOUR_MS },
  '24h': { resolution: 60, spanMs: DAY_MS },
  '90d': { resolution: 3600, spanMs: 90 * DAY_MS },
};

export function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

/**
 * The second bucket a tick at `nowMs` is recorded in: the second in which the ticked interval
 * ends (exclusive), so a tick exactly on a boundary still lands in the second it measured.
 */
export function secondBucket(nowMs: number): number {
  return floorTo(nowMs - 1, SECOND_MS);
}

/**
 * Which coarse buckets `[from, to)` a roll-up into `periodMs` recomputes at `nowMs`: every closed
 * period from the last one already rolled up (`lastRolled`, null when none) — or from the lookback
 * if that is earlier — to the start of the current period. Recomputing (not adding) makes a re-run
 * after a crash harmless; fine rows already pruned produce no group and leave their row alone.
 */
export function rollupWindow(nowMs: number, periodMs: number, lastRolled: number | null): { from: number; to: number } {
  const to = floorTo(nowMs, periodMs);
  const lookback = to - ROLLUP_LOOKBACK_PERIODS * periodMs;
  return { from: lastRolled === null ? 0 : Math.min(lastRolled, lookback), to };
}

/** Rows of `resolution` with ts below this are pruned at `nowMs`. */
export function pruneCutoff(nowMs: number, resolution: Resolution): number {
  const p = POLICY[resolution];
  return floorTo(nowMs - p.keepMs, p.alignMs);
}

/** Persisted rows of one table: [bucket start ms, up, down], ascending, only buckets with traffic. */
export type HistoryQuery = (resolution: Resolution, scope: string, fromMs: number, toMs: number) => Array<[number, number, number]>;

/**
 * Answers a history range at `nowMs`, dense: one point per bucket from the start of the range to
 * the current (partial) bucket inclusive, zero where nothing moved. Periods a roll-up may not have
 * reached yet (the previous and current minute, the current hour) are recomputed from finer rows,
 * so the 24 h and 90 d views include traffic up to the last tick.
 */
export function historySeries(query: HistoryQuery, range: HistoryRange, scope: string, nowMs: number): History {
  const { resolution, spanMs } = RANGES[range];
  const step = resolution * SECOND_MS;
  const end = floorTo(nowMs, step) + step;
  const start = end - spanMs;
  // Fine rows from `recent` on; minutes before it are rolled up by the time anyone asks.
  const recent = floorTo(nowMs, MINUTE_MS) - MINUTE_MS;
  let rows: Array<[number, number, number]>;
  if (resolution === 1) {
    rows = query(1, scope, start, end);
  } else if (resolution === 60) {
    rows = query(60, scope, start, recent).concat(group(query(1, scope, recent, end), MINUTE_MS));
  } else {
    const hour = floorTo(recent, HOUR_MS);
    const partial = query(60, scope, hour, recent).concat(query(1, scope, recent, end));
    rows = query(3600, scope, start, hour).concat(group(partial, HOUR_MS));
  }
  return { range, scope, resolution, points: densify(rows, start, end, step) };
}

/** Sums ascending rows into buckets of `step`; the result is ascending. */
function group(rows: Array<[number, number, number]>, step: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const [ts, up, down] of rows) {
    const b = floorTo(ts, step);
    const last = out[out.length - 1];
    if (last && last[0] === b) {
      last[1] += up;
      last[2] += down;
    } else {
      out.push([b, up, down]);
    }
  }
  return out;
}

function densify(rows: Array<[number, number, number]>, start: number, end: number, step: number): Array<[number, number, number]> {
  const points: Array<[number, number, number]> = [];
  let i = 0;
  for (let ts = start; ts < end; ts += step) {
    while (i < rows.length && rows[i][0] < ts) i++;
    if (i < rows.length && rows[i][0] === ts) points.push([ts, rows[i][1], rows[i][2]]);
    else points.push([ts, 0, 0]);
  }
  return points;
}
