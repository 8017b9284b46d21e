import { describe, expect, it } from 'vitest';
import { SessionHub } from './session-hub';

describe('SessionHub', () => {
  it('tells status changes once, runs handlers per session (late ones at once) and their cleanups when it ends', () => {
    const hub = new SessionHub<'waiting' | 'connected' | 'lost', { n: number }>('waiting', 'test');
    const seen: string[] = [];
    hub.onStatus((s, why) => seen.push(`${s}:${why}`));
    const early: string[] = [];
    hub.onSession((s) => { early.push(`on${s.n}`); return () => early.push(`off${s.n}`); });
    hub.setStatus('waiting');
    hub.begin({ n: 1 }, 'connected');
    expect(hub.live).toEqual({ n: 1 });
    const late: number[] = [];
    const stopLate = hub.onSession((s) => { late.push(s.n); });
    hub.end();
    hub.setStatus('lost', 'gone');
    hub.begin({ n: 2 }, 'connected');
    stopLate();
    hub.end();
    hub.begin({ n: 3 }, 'connected');
    expect(seen).toEqual(['connected:', 'lost:gone', 'connected:']);
    expect(early).toEqual(['on1', 'off1', 'on2', 'off2', 'on3']);
    expect(late).toEqual([1, 2]);
  });

  it('keeps going when a handler or cleanup throws', () => {
    const hub = new SessionHub<'a' | 'b', number>('a', 'test');
    const ran: number[] = [];
    const quiet = console.error;
    console.error = () => undefined;
    try {
      hub.onSession(() => { throw new Error('boom'); });
      hub.onSession((n) => { ran.push(n); return () => { throw new Error('cleanup boom'); }; });
      hub.begin(7, 'b');
      hub.end();
    } finally {
      console.error = quiet;
    }
    expect(ran).toEqual([7]);
    expect(hub.live).toBeNull();
  });
});
