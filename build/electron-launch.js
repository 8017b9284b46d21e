// `npm start`: launches the desktop app from the built bundles (dist/electron/main.cjs).
// Electron's binary is fetched by its install script, which may have been skipped (install
// scripts disabled) or may have failed (no internet); this says so plainly and points to the
// headless engine instead of failing with a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const mainScript = join(root, 'dist', 'electron', 'main.cjs');
const HEADLESS = 'Run the headless engine instead: npm run serve';

/** The Electron binary's path, or null when the package or its binary is missing. */
export function electronBinary() {
  // A child process, so a path written by the install script just now is seen.
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("electron"))'], { cwd: root, encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim() : '';
  return path && existsSync(path) ? path : null;
}

/** Whether a graphical session is reachable (always on Windows and macOS). */
export function hasDisplay(env = process.env, platform = process.platform) {
  return platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

function fail(message) {
  console.error(`relaydesk: ${message}`);
  process.exit(1);
}

function main() {
  if (!hasDisplay()) {
    fail(`no display: neither $DISPLAY nor $WAYLAND_DISPLAY is set, so the desktop app cannot open a window. ${HEADLESS}`);
  }
  if (!existsSync(mainScript)) fail(`${mainScript} is missing: run npm run build first.`);

  let binary = electronBinary();
  if (!binary) {
    let installer;
    try { installer = require.resolve('electron/install.js'); } catch { fail(`the electron package is not installed. ${HEADLESS}`); }
    console.error('relaydesk: Electron\'s binary is missing; downloading it (node node_modules/electron/install.js)…');
    const r = spawnSync(process.execPath, [installer], { cwd: dirname(installer), stdio: 'inherit' });
    binary = r.status === 0 ? electronBinary() : null;
    if (!binary) fail(`Electron's binary could not be downloaded (no internet?). ${HEADLESS}`);
  }

  const env = { ...process.env };
  // Set by some tools (and by Electron for its own children): it would make Electron act as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [mainScript, ...process.argv.slice(2)], { stdio: 'inherit', env, windowsHide: false });
  // Main quits cleanly on these (restoring the system proxy); pass them on rather than dying first.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => fail(`could not start Electron (${binary}): ${err.message}`));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
