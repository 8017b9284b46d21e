import { parseSubscription } from '../codec/subscription';
import { formatHostPort } from '../common/net';
import type { ImportResult, Profile, VlessProfileSpec } from '../rpc';
import { specFromLink } from './profile-link';
import type { ProfileRegistry } from './profiles';

/** Longest profile name (ProfileName in the contract). */
const MAX_NAME = 128;

/**
 * Imports share links (one per line) or a subscription body (base64 or plain, see
 * codec/subscription): each valid `vless://` link becomes a profile named after its #fragment
 * (else host:port), made unique with " (2)", " (3)", ...; the valid links are imported even when
 * other lines fail. Line numbers are 1-based in the (decoded) text; 0 means the whole body.
 *
 * With a `source` (a subscription URL), importing the same source again refreshes it instead of
 * duplicating: a link whose name matches a profile from that source updates that profile's spec
 * (same id, so routes naming it keep working) and is not listed in `created`; profiles of the
 * source that the new body no longer lists are kept (delete them by hand).
 */
export function importProfileText(registry: ProfileRegistry, text: string, source: string | null): ImportResult {
  const parsed = parseSubscription(text);
  const result: ImportResult = { created: [], warnings: [], errors: [] };
  const valid: Array<{ name: string; spec: VlessProfileSpec }> = [];
  for (const entry of parsed.profiles) {
    const { line } = entry;
    if (!entry.result.ok) {
      result.errors.push({ line, message: entry.result.error });
      continue;
    }
    for (const message of entry.result.warnings) result.warnings.push({ line, message });
    const link = entry.result.profile;
    const name = link.name.trim().slice(0, MAX_NAME).trim() || formatHostPort(link.host, link.port);
    valid.push({ name, spec: specFromLink(link) });
  }
  for (const e of parsed.errors) result.errors.push({ line: e.line, message: e.error });
  result.errors.sort((a, b) => a.line - b.line);

  const all = registry.list();
  const fromSource = new Map<string, Profile>(source === null ? [] : all.filter((p) => p.source === source).map((p) => [p.name, p]));
  const taken = new Set(all.filter((p) => source === null || p.source !== source).map((p) => p.name));
  const batch = new Set<string>();
  for (const { name, spec } of valid) {
    const unique = uniqueName(name, (n) => !batch.has(n) && !taken.has(n));
    batch.add(unique);
    const existing = fromSource.get(unique);
    if (existing) {
      if (JSON.stringify(existing.spec) !== JSON.stringify(spec)) registry.update({ id: existing.id, spec });
      continue;
    }
    result.created.push(registry.create({ name: unique, spec, source }));
  }
  return result;
}

/** `name`, else `name (2)`, `name (3)`, ... (cut so the whole stays within MAX_NAME). */
function uniqueName(name: string, free: (n: string) => boolean): string {
  if (free(name)) return name;
  for (let i = 2; ; i++) {
    const suffix = ` (${i})`;
    const candidate = `${name.slice(0, MAX_NAME - suffix.length).trimEnd()}${suffix}`;
    if (free(candidate)) return candidate;
  }
}
