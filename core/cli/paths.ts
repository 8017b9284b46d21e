import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Default API and dashboard address of `relaydesk serve`. */
export const DEFAULT_LISTEN = '127.0.0.1:9090';

/**
 * The data dir when --data-dir is not given: `$RELAYDESK_DATA_DIR`, else the platform's config
 * dir: `$XDG_CONFIG_HOME/relaydesk` (default `~/.config/relaydesk`), macOS
 * `~/Library/Application Support/RelayDesk`, Windows `%APPDATA%\RelayDesk`.
 */
export function defaultDataDir(
  env: Record<string, string | undefined> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.RELAYDESK_DATA_DIR) return resolve(env.RELAYDESK_DATA_DIR);
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'RelayDesk');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'RelayDesk');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'relaydesk');
}

/** A host to connect to for a bound address: wildcard binds are reached over loopback. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}
