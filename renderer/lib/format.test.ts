import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatDuration, formatSpeed } from './format';

describe('formatBytes', () => {
  it('prints bytes below 1 KiB without decimals', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });

  it('uses 1024-based units with three significant digits', () => {
    expect(formatBytes(1024)).toBe('1.00 KB');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(1.23 * 1024 ** 2)).toBe('1.23 MB');
    expect(formatBytes(12.34 * 1024 ** 2)).toBe('12.3 MB');
    expect(formatBytes(123.4 * 1024 ** 3)).toBe('123 GB');
    expect(formatBytes(2 * 1024 ** 4)).toBe('2.00 TB');
  });

  it('carries into the next unit instead of printing 1024', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.00 MB');
    expect(formatBytes(1023.996 * 1024)).toBe('1.00 MB');
    expect(formatBytes(1023.4 * 1024)).toBe('1023 KB');
  });

  it('reads nonsense as zero', () => {
    expect(formatBytes(-5)).toBe('0 B');
    expect(formatBytes(Number.NaN)).toBe('0 B');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('0 B');
  });

  it('stops at the largest unit', () => {
    expect(formatBytes(1024 ** 7)).toBe('1024 EB');
  });
});

describe('formatSpeed', () => {
  it('appends /s', () => {
    expect(formatSpeed(1.23 * 1024 ** 2)).toBe('1.23 MB/s');
    expect(formatSpeed(0)).toBe('0 B/s');
  });
});

describe('formatDuration', () => {
  it('shows at most two units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(999)).toBe('0s');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration((2 * 3600 + 7 * 60 + 9) * 1000)).toBe('2h 07m');
    expect(formatDuration((3 * 86_400 + 4 * 3600 + 5) * 1000)).toBe('3d 4h');
  });

  it('reads negative durations as zero', () => {
    expect(formatDuration(-10_000)).toBe('0s');
  });
});

describe('formatClock', () => {
  it('prints local HH:MM:SS', () => {
    expect(formatClock(new Date(2024, 0, 2, 3, 4, 5).getTime())).toBe('03:04:05');
    expect(formatClock(new Date(2024, 0, 2, 23, 59, 0).getTime())).toBe('23:59:00');
  });
});
