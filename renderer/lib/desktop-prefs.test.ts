import { describe, expect, it } from 'vitest';
import { forcedScheme, prefLocale, proxyAddress } from './desktop-prefs';

describe('forcedScheme', () => {
  it('follows the system unless light or dark is chosen', () => {
    expect(forcedScheme('system')).toBeNull();
    expect(forcedScheme('light')).toBe('light');
    expect(forcedScheme('dark')).toBe('dark');
  });
});

describe('prefLocale', () => {
  it('keeps the page choice for "system" and applies a shipped locale otherwise', () => {
    expect(prefLocale('system')).toBeNull();
    expect(prefLocale('en')).toBe('en');
    expect(prefLocale('zh-CN')).toBe('zh-CN');
  });
});

describe('proxyAddress', () => {
  it('formats host:port, bracketing IPv6', () => {
    expect(proxyAddress('127.0.0.1', 7890)).toBe('127.0.0.1:7890');
    expect(proxyAddress('::1', 1080)).toBe('[::1]:1080');
    expect(proxyAddress('[::1]', 1080)).toBe('[::1]:1080');
  });

  it('is null while the address is unknown', () => {
    expect(proxyAddress(null, 7890)).toBeNull();
    expect(proxyAddress('127.0.0.1', null)).toBeNull();
  });
});
