import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../test/store-temp';
import { LOCK_FILE } from './lock';
import { DB_FILE, Store } from './store';

const require = createRequire(import.meta.url);
const dirs = tempDirs('relaydesk-crash-');
let bundleDir: string;
let writer: string;

beforeAll(async () => {
  // The child runs our real Store: bundle the writer, leaving the native module to node.
  bundleDir = mkdtempSync(join(tmpdir(), 'relaydesk-crash-bundle-'));
  writer = join(bundleDir, 'writer.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../test/store-crash-writer.ts', import.meta.url))],
    outfile: writer, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent',
    plugins: [{
      name: 'native-external',
      setup(b) {
        b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: pathToFileURL(require.resolve('better-sqlite3')).href, external: true }));
      },
    }],
  });
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));
afterEach(() => dirs.cleanup());

/** Runs the writer until it has acknowledged `acks` commits, then SIGKILLs it. */
function writeUntilKilled(dataDir: string, acks: number): Promise<{ acked: number[]; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let partial = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer acknowledged only ${acked.length} commits in time; stderr: ${stderr}`));
    }, 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (/^\d+$/.test(line)) acked.push(Number(line));
      if (acked.length >= acks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    // 'close' waits for stdout to drain: every ack the child wrote before dying is counted.
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      resolve({ acked, signal, stderr });
    });
  });
}

describe('Store survives SIGKILL mid-write', () => {
  it('keeps every acknowledged write, whole transactions only, and takes over the stale lock', async () => {
    const dir = dirs.make();
    const { acked, signal, stderr } = await writeUntilKilled(dir, 400);
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(400);
    expect(acked).toEqual(acked.map((_, i) => i + 1));
    // The dead writer's lock is still there; opening must take it over.
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    const deadPid = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid as number;
    expect(deadPid).not.toBe(process.pid);

    const store = Store.open(dir);
    try {
      const ids = store.instances.list().map((i) => i.id);
      const committed = ids.length;
      expect(committed).toBeGreaterThanOrEqual(acked.length);
      // Creation order, no holes: commits are all-or-nothing and in order.
      expect(ids).toEqual(Array.from({ length: committed }, (_, i) => `i${i + 1}`));
      for (const i of acked) {
        expect(store.instances.get(`i${i}`)).toMatchObject({ name: `instance ${i}`, autoStart: i % 2 === 0, createdAt: i * 1000 });
        expect(store.settings.get(`k${i}`)).toEqual({ i });
        expect(store.history.query(1, 'total', i * 1000, i * 1000 + 1)).toEqual([[i * 1000, i, 2 * i]]);
      }
      // Everything of the last commit and nothing of a later one.
      const settingsKeys = Object.keys(store.settings.all()).filter((k) => /^k\d+$/.test(k));
      expect(settingsKeys).toHaveLength(committed);
      expect(store.history.query(1, 'total', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(committed);
      expect(store.counters.load().get('total')).toEqual({ up: committed, down: 2 * committed });
      store.instances.insert({ id: 'after', name: 'after', type: 'mixed', spec: {}, autoStart: false, createdAt: 1, updatedAt: 1 });
    } finally {
      store.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const db = new Database(join(dir, DB_FILE), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare("SELECT count(*) FROM instances WHERE id = 'after'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });
});
