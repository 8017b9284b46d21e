// Builds the native splice relay: `node build/native.js [--force]` (npm run build:native).
//   core/native/{binding.gyp,src/*} → core/native/build/Release/relaydesk_splice.node
// Offline: node-gyp (npm's own copy) against the headers of the running Node (nodedir), never a
// download. Skips when the .node is newer than its sources. Linux only; any failure prints one
// warning line and exits 0, since TCP relays fall back to the JS path.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'core/native');
export const addonPath = join(nativeDir, 'build/Release/relaydesk_splice.node');
const logPath = join(nativeDir, 'build/native-build.log');

function newestSourceMtime() {
  const files = [join(nativeDir, 'binding.gyp'), ...readdirSync(join(nativeDir, 'src')).map((f) => join(nativeDir, 'src', f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

/** Whether the addon exists and is newer than every source file. */
export function isBuilt() {
  return existsSync(addonPath) && statSync(addonPath).mtimeMs >= newestSourceMtime();
}

function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a project dependency: use npm's bundled copy below
  }
  const prefix = join(dirname(process.execPath), '..');
  candidates.push(join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  return candidates.find((c) => c && existsSync(c));
}

/** A directory holding include/node/{node_api.h,common.gypi} for this Node, so nothing is fetched. */
function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')];
  return candidates.find((d) => d && existsSync(join(d, 'include/node/node_api.h')) && existsSync(join(d, 'include/node/common.gypi')));
}

/**
 * Builds the addon when missing or stale. Returns { ok, built, reason }: ok=false means the
 * JS relay will be used, with `reason` saying why.
 */
export function buildNative({ force = false } = {}) {
  if (process.platform !== 'linux') return { ok: false, built: false, reason: `splice(2) is Linux only (${process.platform})` };
  if (!force && isBuilt()) return { ok: true, built: false };
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) return { ok: false, built: false, reason: 'node-gyp not found (it ships with npm)' };
  const nodeDir = findNodeDir();
  if (!nodeDir) return { ok: false, built: false, reason: `Node headers not found next to ${process.execPath}` };
  const run = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--loglevel=warn'], {
    cwd: nativeDir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: nodeDir },
    timeout: 180_000,
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  mkdirSync(dirname(logPath), { recursive: true });
  writeFileSync(logPath, output);
  if (run.error || run.status !== 0 || !existsSync(addonPath)) {
    const firstError = output.split('\n').find((l) => /error/i.test(l))?.trim();
    const why = run.error?.message ?? firstError ?? `node-gyp exited with ${run.status}`;
    return { ok: false, built: false, reason: `${why} (full log: ${logPath})` };
  }
  return { ok: true, built: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const result = buildNative({ force: process.argv.includes('--force') });
  if (!result.ok) console.warn(`warning: native splice relay not built, TCP relays use the JS path: ${result.reason}`);
  else if (result.built) console.log(`built ${addonPath.slice(root.length + 1)} in ${Date.now() - started} ms`);
  else console.log('native splice relay up to date');
}
