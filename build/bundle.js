// Bundles the Node entries with esbuild: `node build/bundle.js` (npm run build:core).
//   core/cli.ts              → dist/cli.js             (ESM, the `relaydesk` command)
//   core/main.ts             → dist/core-main.js       (ESM, Electron utility-process entry), if present
//   electron/main/index.ts   → dist/electron/main.cjs  (CJS, Electron main), if present
//   electron/preload/index.ts→ dist/electron/preload.cjs (CJS), if present
// npm packages stay external for the Node entries (resolved from node_modules at run time);
// the Electron bundles inline everything but electron itself.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (p) => join(root, p);

// ESM bundles may contain CommonJS-style require() calls (from bundled code): give them one.
const esmBanner = "import { createRequire as __relaydeskCreateRequire } from 'node:module';\nconst require = __relaydeskCreateRequire(import.meta.url);";

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

const entries = [
  { in: 'core/cli.ts', out: 'dist/cli.js', esm: true },
  { in: 'core/main.ts', out: 'dist/core-main.js', esm: true, optional: true },
  { in: 'electron/main/index.ts', out: 'dist/electron/main.cjs', esm: false, optional: true },
  { in: 'electron/preload/index.ts', out: 'dist/electron/preload.cjs', esm: false, optional: true },
];

/** Builds every present entry in parallel; resolves with the outputs written. */
export async function bundle() {
  const present = entries.filter((e) => existsSync(at(e.in)) || !e.optional);
  await Promise.all(present.map((e) => build({
    ...common,
    entryPoints: [at(e.in)],
    outfile: at(e.out),
    ...(e.esm
      ? { format: 'esm', packages: 'external', banner: { js: esmBanner } }
      : { format: 'cjs', external: ['electron'] }),
  })));
  return present.map((e) => e.out);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  bundle().then(
    (outs) => console.log(`bundled ${outs.join(', ')} in ${Date.now() - started} ms`),
    (err) => {
      // esbuild has already printed its own errors with their locations.
      if (!Array.isArray(err?.errors)) console.error(err);
      process.exitCode = 1;
    },
  );
}
