import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leakGuard } from '../test/route-rig';
import { createLookupCache } from './lookup-cache';

let guard: ReturnType<typeof leakGuard>;
beforeEach(() => { guard = leakGuard(); });
afterEach(() => guard.check());

describe('createLookupCache', () => {
  it('resolves all addresses, shares a lookup in flight and reuses the answer', async () => {
    const lookup = createLookupCache();
    const a = lookup('localhost');
    expect(lookup('localhost')).toBe(a);
    const ips = await a;
    expect(ips).toContain('127.0.0.1');
    expect(await lookup('localhost')).toBe(ips);
  });

  it('looks up again once the TTL has passed', async () => {
    const lookup = createLookupCache({ ttlMs: 0 });
    const first = await lookup('localhost');
    await new Promise((r) => setTimeout(r, 5));
    const second = await lookup('localhost');
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
  });

  it('a failed lookup resolves to no addresses and reports why', async () => {
    const failures: string[] = [];
    const lookup = createLookupCache({ onFailure: (host, reason) => failures.push(`${host}: ${reason}`) });
    expect(await lookup('nonexistent.invalid')).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^nonexistent\.invalid: (ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME|timed out)/);
    expect(await lookup('nonexistent.invalid')).toEqual([]);
    expect(failures).toHaveLength(1);
  });
});
