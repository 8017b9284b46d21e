import { describe, expect, it } from 'vitest';
import { CONTROL_ID } from './pool';
import { POOL_ID_BATCH, PoolIdSource } from './pool-ids';

describe('PoolIdSource', () => {
  it('draws 8-hex-digit ids across several refills, never CONTROL_ID, never a live one', () => {
    const src = new PoolIdSource();
    const live = new Set<string>();
    for (let i = 0; i < POOL_ID_BATCH * 3 + 7; i++) {
      const id = src.next(live);
      expect(id).toMatch(/^[0-9a-f]{8}$/);
      expect(id).not.toBe(CONTROL_ID);
      expect(live.has(id)).toBe(false);
      live.add(id);
    }
    expect(live.size).toBe(POOL_ID_BATCH * 3 + 7);
  });

  it('skips ids reported live (1 in 16 draws here, so 500 draws would hit some)', () => {
    const src = new PoolIdSource();
    const live = { has: (id: string) => id.startsWith('0') } as ReadonlySet<string>;
    for (let i = 0; i < 500; i++) expect(src.next(live)).not.toMatch(/^0/);
  });
});
