import { describe, expect, it } from 'vitest';
import { LinkedList } from './linked-list';

describe('LinkedList', () => {
  it('keeps insertion order and removes from the head, the middle and the tail in O(1)', () => {
    const list = new LinkedList<string>();
    const nodes = ['a', 'b', 'c', 'd'].map((v) => list.add(v));
    expect([...list]).toEqual(['a', 'b', 'c', 'd']);
    expect(list.remove(nodes[1]!)).toBe(true);
    expect(list.remove(nodes[0]!)).toBe(true);
    expect(list.remove(nodes[3]!)).toBe(true);
    expect([...list]).toEqual(['c']);
    expect(list.size).toBe(1);
    list.add('e');
    expect(list.toArray()).toEqual(['c', 'e']);
  });

  it('ignores a second removal and drops the links of removed nodes', () => {
    const list = new LinkedList<number>();
    const a = list.add(1);
    const b = list.add(2);
    expect(list.remove(a)).toBe(true);
    expect(list.remove(a)).toBe(false);
    expect(list.size).toBe(1);
    expect([a.linked, a.prev, a.next]).toEqual([false, null, null]);
    list.remove(b);
    expect(list.size).toBe(0);
    expect([...list]).toEqual([]);
  });

  it('lets the loop body remove the current value', () => {
    const list = new LinkedList<number>();
    const nodes = new Map([1, 2, 3, 4].map((v) => [v, list.add(v)]));
    const seen: number[] = [];
    for (const v of list) {
      seen.push(v);
      if (v % 2 === 0) list.remove(nodes.get(v)!);
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    expect([...list]).toEqual([1, 3]);
  });
});
