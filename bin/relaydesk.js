#!/usr/bin/env node
// Loads the bundled CLI; the sources are TypeScript, so a checkout must be built first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('relaydesk: the CLI is not built: run `npm run build` first\n');
  process.exit(1);
}
await import(cli.href);
