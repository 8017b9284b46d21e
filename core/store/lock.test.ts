import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreError } from '../rpc';
import { tempDirs } from '../test/store-temp';
import { DataDirLock, LOCK_FILE, procStart } from './lock';
import { Store } from './store';

const dirs = tempDirs('relaydesk-lock-');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  dirs.cleanup();
});

function openError(dir: string): CoreError {
  try {
    const s = Store.open(dir);
    s.close();
  } catch (err) {
    return err as CoreError;
  }
  throw new Error('Store.open succeeded');
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid!;
}

/** A live process that is not a RelayDesk, killed at teardown. */
async function livePid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  cleanups.push(() => child.kill('SIGKILL'));
  return child.pid!;
}

describe('data dir lock', () => {
  it('refuses a second open in the same process with E_STORE_LOCKED until the first closes', () => {
    const dir = dirs.make();
    const first = Store.open(dir);
    cleanups.push(() => first.close());
    const err = openError(dir);
    expect(err.code).toBe('E_STORE_LOCKED');
    expect(err.message).toBe(`data dir ${dir} is in use by another RelayDesk (pid ${process.pid})`);
    first.close();
    const again = Store.open(dir);
    again.close();
  });

  it('refuses while another live process holds the lock', async () => {
    const dir = dirs.make();
    const pid = await livePid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: 'elsewhere', startedAt: 1 }));
    const err = openError(dir);
    expect(err.code).toBe('E_STORE_LOCKED');
    expect(err.message).toBe(`data dir ${dir} is in use by another RelayDesk (pid ${pid})`);
    // Untouched: the owner still has it.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(pid);
  });

  it('takes over a stale lock whose process is gone, and removes it on close', () => {
    const dir = dirs.make();
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    const s = Store.open(dir);
    const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid });
    expect(typeof owner.hostname).toBe('string');
    s.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock with our own pid that this process does not hold (a previous run reusing the pid)', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, token: 'old' }));
    const s = Store.open(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).token).not.toBe('old');
    s.close();
  });

  it.runIf(procStart(process.pid) !== null)('takes over when the pid is alive but belongs to a process started later (pid reuse)', async () => {
    const dir = dirs.make();
    const pid = await livePid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, procStart: '1' }));
    const s = Store.open(dir);
    s.close();
  });

  it('treats an unreadable lock as in use while it is fresh, and as stale once old', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, LOCK_FILE), '');
    expect(openError(dir).message).toContain('(pid unknown)');
    writeFileSync(join(dir, LOCK_FILE), '{"pi');
    const past = new Date(Date.now() - 60_000);
    // An old half-written lock was never going to be completed.
    utimesSync(join(dir, LOCK_FILE), past, past);
    Store.open(dir).close();
  });

  it('never deletes a lock that another process took over', () => {
    const dir = dirs.make();
    const lock = DataDirLock.acquire(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999_999_999, token: 'theirs' }));
    lock.release();
    lock.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).token).toBe('theirs');
  });
});
