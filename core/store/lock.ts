import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreError } from '../rpc';

export const LOCK_FILE = 'relaydesk.lock';

/** What a lock file says about its owner. */
export interface LockOwner {
  pid: number;
  /** For people reading the file; liveness is judged by pid only (hostnames change, e.g. macOS on a new network). */
  hostname?: string;
  /** When the lock was taken, ms. */
  startedAt?: number;
  /** Linux: the owner's start time in clock ticks since boot (/proc/<pid>/stat), to detect pid reuse. */
  procStart?: string | null;
  /** Random per lock, so release never deletes a lock another process took over. */
  token?: string;
}

/** A lock file younger than this that cannot be parsed is being written right now. */
const UNREADABLE_GRACE_MS = 5000;

/** Locks held by this process (resolved paths): our own pid in a lock file we do not hold is a previous incarnation. */
const held = new Set<string>();

/**
 * One RelayDesk per data dir: `relaydesk.lock`, created with O_EXCL, holds the owner's pid.
 * An existing lock whose pid is alive refuses with E_STORE_LOCKED; a stale one (process gone) is
 * taken over.
 *
 * Limits, accepted: after a crash, an unrelated process that reused the pid keeps the dir locked
 * until it exits (on Linux the recorded process start time catches this); two processes taking over
 * the same stale lock in the same instant can both succeed. Liveness cannot be checked across
 * hosts sharing the dir over a network file system.
 */
export class DataDirLock {
  private released = false;

  private constructor(readonly path: string, private readonly token: string) {}

  /** Takes the lock of `dir` (which must exist). E_STORE_LOCKED when a live process holds it. */
  static acquire(dir: string): DataDirLock {
    const path = resolve(join(dir, LOCK_FILE));
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = randomBytes(8).toString('hex');
      if (tryCreate(path, token)) {
        held.add(path);
        return new DataDirLock(path, token);
      }
      const owner = readOwner(path);
      if (owner === 'gone') continue;
      if (owner === 'unreadable') {
        if (ageMs(path) < UNREADABLE_GRACE_MS) throw lockedError(dir, null);
      } else if (ownerAlive(owner, path)) {
        throw lockedError(dir, owner.pid);
      }
      removeIfPresent(path);
    }
    throw new CoreError('E_STORE_LOCKED', `data dir ${dir} is in use: its lock file keeps changing`);
  }

  /** Deletes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.path);
    const owner = readOwner(this.path);
    if (typeof owner === 'object' && owner.token === this.token) removeIfPresent(this.path);
  }
}

function tryCreate(path: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CoreError('E_STORE_FAILED', `cannot create ${path}: ${(err as Error).message}`, { cause: err });
  }
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: Date.now(), procStart: procStart(process.pid), token };
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): LockOwner | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw new CoreError('E_STORE_FAILED', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  // A bare pid is accepted too (hand-written or older lock files).
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const parsed = JSON.parse(text) as LockOwner;
    return Number.isInteger(parsed?.pid) && parsed.pid > 0 ? parsed : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function ownerAlive(owner: LockOwner, path: string): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  // Our pid but not our lock: a previous run with the same pid (pid 1 in a container restart).
  if (owner.pid === process.pid) return held.has(path);
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.procStart) {
    const now = procStart(owner.pid);
    if (now !== null && now !== owner.procStart) return false;
  }
  return true;
}

/** Linux only (null elsewhere): field 22 of /proc/<pid>/stat, the start time in clock ticks since boot. */
export function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CoreError('E_STORE_FAILED', `cannot remove stale lock ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function lockedError(dir: string, pid: number | null): CoreError {
  return new CoreError('E_STORE_LOCKED', `data dir ${dir} is in use by another RelayDesk (pid ${pid ?? 'unknown'})`, { data: { pid } });
}
