/**
 * The VLESS-Rust monitor's string formats (PROTOCOLS.md §5.3, `src/stats.rs` of v1.2.1), which the
 * monitor document's examples show: "1.50 KB", "1.23 MB/s", "2d 5h 30m 15s".
 */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1024-based, units B…TB, always two decimals: 0 → "0.00 B", 1536 → "1.50 KB". */
export function formatBytes(n: number): string {
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)} ${UNITS[i]}`;
}

/** Bytes per second: formatBytes(floor(bps)) + "/s" → "0.00 B/s", "1.23 MB/s". */
export function formatSpeed(bps: number): string {
  return `${formatBytes(Math.floor(bps))}/s`;
}

/**
 * A user's speed. VLESS-Rust always sends the literal "0 B/s" (never computed); the document
 * describes a real per-user speed and shows "0 B/s" for idle users, so we compute it and keep the
 * document's "0 B/s" for an idle user (clients that compare against it keep working).
 */
export function formatUserSpeed(bps: number): string {
  return Math.floor(bps) <= 0 ? '0 B/s' : formatSpeed(bps);
}

/** "2d 5h 30m 15s", "5h 30m 15s", "30m 15s" or "45s" (whole seconds, leading zero units dropped). */
export function formatDuration(seconds: number): string {
  const t = Math.max(0, Math.floor(seconds));
  const d = Math.floor(t / 86400);
  const h = Math.floor((t % 86400) / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  if (d > 0) return `${d}d ${h}h ${m}m ${s}s`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
