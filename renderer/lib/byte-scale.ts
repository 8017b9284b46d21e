const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/**
 * A round axis step for byte values: 1, 2 or 5 × a power of ten within a 1024-based unit
 * (500 KB, 1 MB, 20 MB), at least `raw`, so labels read cleanly once formatted.
 */
export function niceByteStep(raw: number): number {
  if (!Number.isFinite(raw) || raw <= 1) return 1;
  let unit = 1;
  while (raw / unit >= 1024) unit *= 1024;
  for (const s of STEPS) if (s * unit >= raw) return s * unit;
  return 1024 * unit;
}

/** Axis bounds for values up to `max` in about `splits` steps: `{ max, interval }`, never below 1 B. */
export function byteAxis(max: number, splits = 4): { max: number; interval: number } {
  const interval = niceByteStep(max / splits);
  return { interval, max: Math.max(interval, Math.ceil(max / interval) * interval) };
}
