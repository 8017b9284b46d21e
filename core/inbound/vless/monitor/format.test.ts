import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatSpeed, formatUserSpeed } from './format';

describe('monitor string formats (PROTOCOLS.md §5.3, the document examples)', () => {
  it('formats bytes 1024-based with two decimals', () => {
    expect(formatBytes(0)).toBe('0.00 B');
    expect(formatBytes(1023)).toBe('1023.00 B');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(1288490189)).toBe('1.20 GB');
    expect(formatBytes(16 * 1024 ** 3)).toBe('16.00 GB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.00 TB');
    expect(formatBytes(2048 * 1024 ** 4)).toBe('2048.00 TB');
  });

  it('formats speeds from the floor of bytes per second', () => {
    expect(formatSpeed(0)).toBe('0.00 B/s');
    expect(formatSpeed(1023.9)).toBe('1023.00 B/s');
    expect(formatSpeed(1.23 * 1024 * 1024)).toBe('1.23 MB/s');
    expect(formatUserSpeed(0)).toBe('0 B/s');
    expect(formatUserSpeed(0.5)).toBe('0 B/s');
    expect(formatUserSpeed(1536)).toBe('1.50 KB/s');
  });

  it('formats durations dropping leading zero units', () => {
    expect(formatDuration(2 * 86400 + 5 * 3600 + 30 * 60 + 15)).toBe('2d 5h 30m 15s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(3600)).toBe('1h 0m 0s');
    expect(formatDuration(61.9)).toBe('1m 1s');
    expect(formatDuration(86400)).toBe('1d 0h 0m 0s');
  });
});
