// Electron main entry (bundled to dist/electron/main.cjs). Lifecycle only: the parts live in
// desktop-app.ts and run on the interfaces electron-api.ts implements.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runDesktopApp } from './desktop-app';
import { loadElectronApi } from './electron-api';

const api = loadElectronApi();
// dist/electron/main.cjs → the app root (the repo in dev, app.asar when packaged).
const root = join(__dirname, '..', '..');

// Ctrl+C in the terminal of `npm start` quits cleanly (system proxy restored, engine closed).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => api.app.quit());

runDesktopApp({
  ...api,
  platform: process.platform,
  env: process.env,
  home: homedir(),
  argv: process.argv.slice(1),
  root,
  mainScript: __filename,
  execPath: process.execPath,
}).catch((err: unknown) => {
  console.error('[main] RelayDesk failed to start:', err);
  api.app.exit(1);
});
