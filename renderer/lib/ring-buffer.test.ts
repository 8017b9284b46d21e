import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer';

describe('RingBuffer', () => {
  it('keeps items oldest first until full', () => {
    const buf = new RingBuffer<number>(3);
    expect(buf.size).toBe(0);
    expect(buf.toArray()).toEqual([]);
    expect(buf.first()).toBeUndefined();
    expect(buf.last()).toBeUndefined();
    buf.push(1);
    buf.push(2);
    expect(buf.toArray()).toEqual([1, 2]);
    expect(buf.first()).toBe(1);
    expect(buf.last()).toBe(2);
  });

  it('evicts the oldest item when full', () => {
    const buf = new RingBuffer<number>(3);
    for (let i = 1; i <= 7; i++) buf.push(i);
    expect(buf.size).toBe(3);
    expect(buf.toArray()).toEqual([5, 6, 7]);
    expect(buf.first()).toBe(5);
    expect(buf.last()).toBe(7);
  });

  it('holds 300 one-second points like the stats series', () => {
    const buf = new RingBuffer<[number, number, number]>(300);
    for (let t = 0; t < 1000; t++) buf.push([t, t * 2, t * 3]);
    const all = buf.toArray();
    expect(all).toHaveLength(300);
    expect(all[0]).toEqual([700, 1400, 2100]);
    expect(all[299]).toEqual([999, 1998, 2997]);
  });

  it('returns a copy from toArray', () => {
    const buf = new RingBuffer<number>(2);
    buf.push(1);
    const snapshot = buf.toArray();
    buf.push(2);
    expect(snapshot).toEqual([1]);
  });

  it('clears', () => {
    const buf = new RingBuffer<number>(2);
    buf.push(1);
    buf.push(2);
    buf.push(3);
    buf.clear();
    expect(buf.size).toBe(0);
    expect(buf.toArray()).toEqual([]);
    buf.push(4);
    expect(buf.toArray()).toEqual([4]);
  });

  it('rejects a capacity below 1', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });
});
