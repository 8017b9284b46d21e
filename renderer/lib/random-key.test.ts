import { describe, expect, it } from 'vitest';
import { maskSecret, randomHex } from './random-key';

describe('randomHex', () => {
  it('gives 2 lowercase hex digits per byte, fresh each time', () => {
    const a = randomHex(16);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(randomHex(16)).not.toBe(a);
    expect(randomHex(0)).toBe('');
  });
});

describe('maskSecret', () => {
  it('keeps only the last four characters', () => {
    expect(maskSecret('0123456789abcdef0123456789abcdef')).toBe('••••••••••••cdef');
    expect(maskSecret('abcdef')).toBe('••cdef');
    expect(maskSecret('abc')).toBe('•••');
    expect(maskSecret('')).toBe('');
  });
});
