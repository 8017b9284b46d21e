import { randomBytes } from 'node:crypto';
import type { Settings } from '../rpc';

/**
 * The master API's identity, which the engine owns: `key` (X-API-Key, 16 random bytes in hex, as
 * NodePass generates it) and `mid` (8 random bytes in hex). A null value in `next` means "keep the
 * current one" (a configuration file or an export never carries the key), else a fresh one.
 */
export function withMasterIdentity(next: Settings, current: Settings | null): Settings {
  const m = next.masterApi;
  const key = m.key ?? current?.masterApi.key ?? randomBytes(16).toString('hex');
  const mid = m.mid ?? current?.masterApi.mid ?? randomBytes(8).toString('hex');
  if (key === m.key && mid === m.mid) return next;
  return { ...next, masterApi: { ...m, key, mid } };
}
