import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A running `relaydesk serve` started by the e2e fixtures. */
export interface ServeProcess {
  /** The dashboard URL it printed, token included. */
  url: string;
  /** `http://host:port` of the API and dashboard. */
  origin: string;
  /** The `host:port` the API listens on. */
  listen: string;
  token: string;
  dataDir: string;
  /** Everything it wrote so far (stdout + stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. Keeps the data dir. */
  stop(): Promise<void>;
  /** stop() and remove the data dir. */
  dispose(): Promise<void>;
}

export interface ServeOptions {
  /** Reuse a data dir (e.g. to restart on the same token). @default a new temporary dir */
  dataDir?: string;
  /** @default "127.0.0.1:0" */
  listen?: string;
  /** Written to <dataDir>/config.json and passed as --config. @default one mixed instance "Local proxy" on 127.0.0.1:0 */
  config?: unknown;
}

export const ROOT = resolve(import.meta.dirname, '..');
/** The bundled CLI; RELAYDESK_E2E_CLI points elsewhere (e.g. a bundle under test). */
export const CLI = process.env.RELAYDESK_E2E_CLI ? resolve(process.env.RELAYDESK_E2E_CLI) : join(ROOT, 'dist', 'cli.js');
export const DASHBOARD_DIR = join(ROOT, 'dist', 'renderer');

export const DEFAULT_CONFIG = {
  version: 1,
  instances: [{ name: 'Local proxy', spec: { type: 'mixed', listen: '127.0.0.1:0' } }],
};

const URL_LINE = /dashboard:\s*(http:\/\/\S+\?token=\S+)/;

/** Starts `node dist/cli.js serve` and waits for the dashboard URL it prints. */
export async function startServe(options: ServeOptions = {}): Promise<ServeProcess> {
  for (const [what, path] of [[CLI, CLI], ['dist/renderer/index.html', join(DASHBOARD_DIR, 'index.html')]]) {
    if (!existsSync(path)) throw new Error(`${what} is missing: build first (node build/bundle.js && npx vite build)`);
  }
  const dataDir = options.dataDir ?? await mkdtemp(join(tmpdir(), 'relaydesk-e2e-'));
  const configPath = join(dataDir, 'config.json');
  await writeFile(configPath, JSON.stringify(options.config ?? DEFAULT_CONFIG, null, 2));
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--listen', options.listen ?? '127.0.0.1:0', '--config', configPath], {
    cwd: ROOT,
    env: { ...process.env, RELAYDESK_DASHBOARD_DIR: DASHBOARD_DIR, RELAYDESK_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));

  let url: string;
  try {
    url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`relaydesk serve printed no dashboard URL within 15 s:\n${out}`)), 15_000);
      const check = (): void => {
        const m = URL_LINE.exec(out);
        if (!m) return;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        res(m[1]);
      };
      child.stdout!.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        rej(new Error(`relaydesk serve exited (${code ?? signal}) before printing its URL:\n${out}`));
      });
      check();
    });
  } catch (err) {
    await kill(child, exited);
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  const parsed = new URL(url);
  const stop = (): Promise<void> => kill(child, exited);
  return {
    url,
    origin: parsed.origin,
    listen: parsed.host,
    token: parsed.searchParams.get('token') ?? '',
    dataDir,
    output: () => out,
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
