import dns from 'node:dns';

export interface LookupCacheOptions {
  /** How long answers (and failures) are reused. @default 30000 */
  ttlMs?: number;
  /** A lookup that takes longer counts as failed (no addresses). @default 5000 */
  timeoutMs?: number;
  /** Names kept; the oldest is dropped beyond this. @default 1024 */
  maxEntries?: number;
  /** Called when a lookup fails or times out (for a debug note). */
  onFailure?: (host: string, reason: string) => void;
}

/** A name → addresses lookup that never rejects: failures and timeouts resolve to []. */
export type LookupFn = (host: string) => Promise<string[]>;

/**
 * dns.lookup (all addresses, the system resolver like a dial would use) with a small TTL cache
 * and concurrent callers for the same name sharing one lookup.
 */
export function createLookupCache(opts: LookupCacheOptions = {}): LookupFn {
  const ttlMs = opts.ttlMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const maxEntries = opts.maxEntries ?? 1024;
  const cache = new Map<string, { ips: string[]; expires: number }>();
  const inflight = new Map<string, Promise<string[]>>();

  const remember = (host: string, ips: string[]) => {
    cache.delete(host);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(host, { ips, expires: Date.now() + ttlMs });
  };

  const lookup = (host: string) =>
    new Promise<string[]>((resolve) => {
      let settled = false;
      const finish = (ips: string[], failure?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inflight.delete(host);
        remember(host, ips);
        if (failure !== undefined) opts.onFailure?.(host, failure);
        resolve(ips);
      };
      const timer = setTimeout(() => finish([], `timed out after ${timeoutMs} ms`), timeoutMs);
      dns.lookup(host, { all: true }, (err, addresses) => {
        if (err) finish([], (err as NodeJS.ErrnoException).code ?? err.message);
        else finish(addresses.map((a) => a.address));
      });
    });

  return (host) => {
    const hit = cache.get(host);
    if (hit && hit.expires > Date.now()) return Promise.resolve(hit.ips);
    let p = inflight.get(host);
    if (!p) {
      p = lookup(host);
      inflight.set(host, p);
    }
    return p;
  };
}
