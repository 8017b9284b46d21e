import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardedCleanup } from '../../test/guarded-cleanup';
import { socketPair, waitFor } from '../../test/nodepass-rt-rig';
import { PoolRegistry } from './pool';

const cleanup = guardedCleanup(2000);

async function pairs(n: number): Promise<[Socket, Socket][]> {
  const out: [Socket, Socket][] = [];
  for (let i = 0; i < n; i++) {
    const p = await socketPair();
    cleanup.push(() => { p[0].destroy(); p[1].destroy(); });
    out.push(p);
  }
  return out;
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.once('end', () => resolve(got));
    s.resume();
  });
}

describe('PoolRegistry idle connections', () => {
  it('forgets (and closes) an idle connection whose peer closed it, and reports the drop', async () => {
    const [[a, b], [c, d]] = await pairs(2);
    let dropped = 0;
    const pool = new PoolRegistry({ dropped: () => dropped++ });
    cleanup.push(() => pool.close());
    pool.add('aaaaaaaa', b);
    pool.add('cccccccc', d);
    expect(pool.size).toBe(2);
    a.destroy();
    await waitFor(() => pool.size === 1 && b.destroyed, 'the closed one to leave the pool');
    expect(dropped).toBe(1);
    expect(d.destroyed).toBe(false);
    c.end();
    await waitFor(() => pool.size === 0 && d.destroyed, 'the half-closed one to leave the pool');
  });

  it('keeps bytes the peer sent before the take for the taker, and reports the take', async () => {
    const [[a, b]] = await pairs(1);
    const taken: number[] = [];
    const pool = new PoolRegistry({ taken: (idle) => taken.push(idle) });
    cleanup.push(() => pool.close());
    pool.add('aaaaaaaa', b);
    a.write('early ');
    await new Promise((r) => setTimeout(r, 30));
    a.end('late');
    await new Promise((r) => setTimeout(r, 30));
    expect(pool.size).toBe(1);
    const s = await pool.takeId('aaaaaaaa', 100);
    expect(s).toBe(b);
    expect(taken).toEqual([0]);
    expect(await readAll(s!)).toBe('early late');
  });

  it('a connection handed straight to a waiting session counts as taken', async () => {
    const [[, b]] = await pairs(1);
    const taken: number[] = [];
    let missed = 0;
    const pool = new PoolRegistry({ taken: (idle) => taken.push(idle), missed: () => missed++ });
    cleanup.push(() => pool.close());
    const waiting = pool.takeAny(1000);
    expect(missed).toBe(1);
    pool.add('bbbbbbbb', b);
    expect((await waiting)?.id).toBe('bbbbbbbb');
    expect(taken).toEqual([0]);
  });

  it('trim closes the oldest idle connections, and the peer sees them closed', async () => {
    const ps = await pairs(3);
    let dropped = 0;
    const pool = new PoolRegistry({ dropped: () => dropped++ });
    cleanup.push(() => pool.close());
    ps.forEach(([, b], i) => pool.add(`0000000${i + 1}`, b));
    expect(pool.trim(2)).toBe(2);
    expect(pool.size).toBe(1);
    expect(dropped).toBe(0);
    const ends = ps.map(([a]) => new Promise<boolean>((r) => { a.once('end', () => r(true)); a.once('close', () => r(true)); a.resume(); }));
    expect(await Promise.all(ends.slice(0, 2))).toEqual([true, true]);
    expect(await pool.takeId('00000003', 100)).toBe(ps[2]![1]);
  });
});
