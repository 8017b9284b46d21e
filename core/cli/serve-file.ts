import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written by `serve` into the data dir while it runs, so `export` can reach it. */
export const SERVE_FILE = 'serve.json';

/** Where a running `serve` can be reached. */
export interface ServeInfo {
  /** The bound API address, "host:port". */
  listen: string;
  pid: number;
}

export function writeServeFile(dataDir: string, info: ServeInfo): void {
  writeFileSync(join(dataDir, SERVE_FILE), `${JSON.stringify(info)}\n`, { mode: 0o600 });
}

/** The recorded address, or null when there is no (readable) serve file. */
export function readServeFile(dataDir: string): ServeInfo | null {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, SERVE_FILE), 'utf8')) as Partial<ServeInfo>;
    return typeof v.listen === 'string' && typeof v.pid === 'number' ? { listen: v.listen, pid: v.pid } : null;
  } catch {
    return null;
  }
}

/** Removes the serve file if it still names `pid` (a newer serve may have replaced it). */
export function removeServeFile(dataDir: string, pid: number): void {
  if (readServeFile(dataDir)?.pid === pid) rmSync(join(dataDir, SERVE_FILE), { force: true });
}
