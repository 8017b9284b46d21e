import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * RelayDesk's version from its package.json, found by walking up from this module (it sits
 * in core/cli/ in the sources and in dist/ once bundled). "0.0.0-dev" if none is found.
 */
export function relaydeskVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'relaydesk' && pkg.version) return (cached = pkg.version);
    } catch {
      // no package.json here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return (cached = '0.0.0-dev');
}
