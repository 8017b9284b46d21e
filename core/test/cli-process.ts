import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is core/test/cli-process.ts). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_PATH = join(REPO_ROOT, 'dist', 'cli.js');

/** Bundles the CLI with build/bundle.js (what `npm run build:core` does). */
export function buildCli(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'build', 'bundle.js')], { cwd: REPO_ROOT, stdio: 'pipe', timeout: 60_000 });
}

/** A running `node dist/cli.js ...` with its output collected. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process ended. */
  exited: Promise<number | null>;
  /** Resolves with the first stdout match of `re`; rejects on exit or timeout, with the output. */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGKILL if still running, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts the built CLI. The environment is the test's minus RELAYDESK_* plus `env`. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RELAYDESK_')));
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; });
  let ended = false;
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => { ended = true; resolve(code); }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(re, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = re.exec(out);
          if (m) { done(); resolve(m); }
          return !!m;
        };
        const onData = (): void => { check(); };
        const fail = (why: string) => () => { done(); reject(new Error(`${why} waiting for ${re}\nstdout: ${out}\nstderr: ${err}`)); };
        const onExit = fail('cli exited');
        const timer = setTimeout(fail(`timed out after ${timeoutMs} ms`), timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.off('close', onExit);
        };
        if (check()) return;
        child.stdout!.on('data', onData);
        child.once('close', onExit);
      });
    },
    async kill() {
      if (!ended) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the CLI to completion (bounded); resolves with its exit code and output. */
export async function runCliProcess(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCli(args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
