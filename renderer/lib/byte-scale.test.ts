import { describe, expect, it } from 'vitest';
import { byteAxis, niceByteStep } from './byte-scale';
import { formatSpeed } from './format';

describe('niceByteStep', () => {
  it('picks 1-2-5 steps within 1024-based units', () => {
    expect(niceByteStep(0)).toBe(1);
    expect(niceByteStep(3)).toBe(5);
    expect(niceByteStep(700)).toBe(1024);
    expect(niceByteStep(1500)).toBe(2 * 1024);
    expect(niceByteStep(300 * 1024)).toBe(500 * 1024);
    expect(niceByteStep(512 * 1024)).toBe(1024 * 1024);
    expect(niceByteStep(3 * 1024 ** 3)).toBe(5 * 1024 ** 3);
  });
});

describe('byteAxis', () => {
  it('covers the maximum with round labels', () => {
    const axis = byteAxis(2.1 * 1024 * 1024);
    expect(axis).toEqual({ interval: 1024 * 1024, max: 3 * 1024 * 1024 });
    const labels = [];
    for (let v = 0; v <= axis.max; v += axis.interval) labels.push(formatSpeed(v));
    expect(labels).toEqual(['0 B/s', '1.00 MB/s', '2.00 MB/s', '3.00 MB/s']);
  });

  it('keeps an idle chart at 0–1 B/s', () => {
    expect(byteAxis(0)).toEqual({ interval: 1, max: 1 });
  });
});
