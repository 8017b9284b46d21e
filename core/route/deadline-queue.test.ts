import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leakGuard } from '../test/route-rig';
import { DeadlineQueue, type Deadlined } from './deadline-queue';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Item implements Deadlined {
  deadline = 0;
  prevDue: Deadlined | null = null;
  nextDue: Deadlined | null = null;
  expiredAt: number | null = null;
  constructor(readonly name: string, private readonly log: string[]) {}
  expire(): void {
    this.expiredAt = Date.now();
    this.log.push(this.name);
  }
}

let guard: ReturnType<typeof leakGuard>;
beforeEach(() => { guard = leakGuard(); });
afterEach(() => guard.check());

describe('DeadlineQueue', () => {
  it('expires entries in order, each no earlier than timeoutMs after it was added', async () => {
    const q = new DeadlineQueue(300);
    const log: string[] = [];
    const a = new Item('a', log);
    const b = new Item('b', log);
    const addedA = Date.now();
    q.add(a);
    await sleep(150);
    const addedB = Date.now();
    q.add(b);
    await sleep(200);
    expect(log).toEqual(['a']);
    await sleep(250);
    expect(log).toEqual(['a', 'b']);
    expect(a.expiredAt! - addedA).toBeGreaterThanOrEqual(299);
    expect(b.expiredAt! - addedB).toBeGreaterThanOrEqual(299);
    expect([a.prevDue, a.nextDue, b.prevDue, b.nextDue]).toEqual([null, null, null, null]);
  });

  it('never expires removed entries, wherever they were in the queue', async () => {
    const q = new DeadlineQueue(40);
    const log: string[] = [];
    const items = ['a', 'b', 'c', 'd'].map((n) => new Item(n, log));
    for (const it of items) q.add(it);
    q.remove(items[0]!);
    q.remove(items[2]!);
    q.remove(items[2]!);
    q.remove(new Item('never added', log));
    await sleep(90);
    expect(log).toEqual(['b', 'd']);
  });

  it('clear() drops everything and stops the timer; the queue can be used again', async () => {
    const q = new DeadlineQueue(30);
    const log: string[] = [];
    q.add(new Item('a', log));
    q.clear();
    await sleep(60);
    expect(log).toEqual([]);
    q.add(new Item('b', log));
    await sleep(70);
    expect(log).toEqual(['b']);
  });

  it('an entry added while others expire gets its own full timeout', async () => {
    const q = new DeadlineQueue(150);
    const log: string[] = [];
    const late = new Item('late', log);
    const first = new Item('first', log);
    first.expire = () => {
      log.push('first');
      q.add(late);
    };
    q.add(first);
    await sleep(220);
    expect(log).toEqual(['first']);
    await sleep(200);
    expect(log).toEqual(['first', 'late']);
  });
});
