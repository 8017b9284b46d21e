import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreError } from '../rpc';

/** The file in the data dir holding the API token (mode 0600). */
export const TOKEN_FILE = 'api-token';

export interface TokenSource {
  /** --token */
  flag?: string;
  /** $RELAYDESK_TOKEN */
  env?: string;
  dataDir: string;
  /** Create `<dataDir>/api-token` (16 random bytes, hex) when it is missing. @default false */
  create?: boolean;
}

/**
 * The API token: --token, else $RELAYDESK_TOKEN, else the data dir's api-token file (created on
 * first use by serve). E_CONFIG_INVALID for a token with spaces; E_AUTH_REQUIRED when there is
 * none and `create` is false.
 */
export function resolveToken(src: TokenSource): string {
  const given = src.flag ?? (src.env === '' ? undefined : src.env);
  if (given !== undefined) {
    if (!/^\S{1,512}$/.test(given)) throw new CoreError('E_CONFIG_INVALID', 'the API token must be 1-512 characters without spaces');
    return given;
  }
  const path = join(src.dataDir, TOKEN_FILE);
  const existing = readToken(path);
  if (existing) return existing;
  if (!src.create) throw new CoreError('E_AUTH_REQUIRED', `no API token: ${path} does not exist (pass --token or set RELAYDESK_TOKEN)`);
  const token = randomBytes(16).toString('hex');
  try {
    // 'w' rather than 'wx': an empty or unreadable leftover is replaced.
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'w' });
  } catch (err) {
    throw new CoreError('E_STORE_FAILED', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  return token;
}

function readToken(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CoreError('E_STORE_FAILED', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const token = text.trim();
  return token === '' ? null : token;
}
