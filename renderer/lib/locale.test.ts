import { describe, expect, it } from 'vitest';
import { isLocale, pickLocale } from './locale';

describe('pickLocale', () => {
  it('prefers a valid saved choice', () => {
    expect(pickLocale('zh-CN', ['en-US'])).toBe('zh-CN');
    expect(pickLocale('fr', ['zh-TW'])).toBe('zh-CN');
  });

  it('takes the first navigator language we ship', () => {
    expect(pickLocale(null, ['de-DE', 'zh-Hans-CN', 'en'])).toBe('zh-CN');
    expect(pickLocale(null, ['de-DE', 'en-GB', 'zh'])).toBe('en');
  });

  it('falls back to English', () => {
    expect(pickLocale(null, [])).toBe('en');
    expect(pickLocale(null, ['ja-JP'])).toBe('en');
  });
});

describe('isLocale', () => {
  it('accepts only shipped locales', () => {
    expect(isLocale('en')).toBe(true);
    expect(isLocale('zh-CN')).toBe(true);
    expect(isLocale('zh')).toBe(false);
    expect(isLocale(undefined)).toBe(false);
  });
});
