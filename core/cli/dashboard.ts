import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHostPort, parseHostPort } from '../rpc';
import { connectHost } from './paths';

/**
 * The built dashboard to serve: `$RELAYDESK_DASHBOARD_DIR`, else `renderer/` beside the bundled
 * CLI (dist/renderer). Undefined when it has no index.html (not built yet).
 */
export function dashboardDir(env: Record<string, string | undefined>): string | undefined {
  const dir = env.RELAYDESK_DASHBOARD_DIR
    ? resolve(env.RELAYDESK_DASHBOARD_DIR)
    : join(dirname(fileURLToPath(import.meta.url)), 'renderer');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/** The URL printed by serve: the bound address (loopback for wildcard binds) with the token. */
export function dashboardUrl(bound: string, token: string): string {
  const hp = parseHostPort(bound);
  const host = hp ? formatHostPort(connectHost(hp.host), hp.port) : bound;
  return `http://${host}/?token=${encodeURIComponent(token)}`;
}
