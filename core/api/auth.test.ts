import { describe, expect, it } from 'vitest';
import { originAllowed, tokenMatches } from './auth';

describe('tokenMatches', () => {
  it('accepts only the exact token', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});

describe('originAllowed', () => {
  it('allows requests without Origin (CLI and Node clients)', () => {
    expect(originAllowed(undefined, '127.0.0.1:9090')).toBe(true);
  });

  it('allows the same origin, comparing host and port', () => {
    expect(originAllowed('http://127.0.0.1:9090', '127.0.0.1:9090')).toBe(true);
    expect(originAllowed('http://[::1]:9090', '[::1]:9090')).toBe(true);
    expect(originAllowed('http://example.com', 'example.com:80')).toBe(true);
    expect(originAllowed('https://example.com', 'example.com')).toBe(true);
    expect(originAllowed('http://127.0.0.1:9091', '127.0.0.1:9090')).toBe(false);
    expect(originAllowed('http://localhost:9090', '127.0.0.1:9090')).toBe(false);
    expect(originAllowed('http://evil.example', '127.0.0.1:9090')).toBe(false);
    expect(originAllowed('http://127.0.0.1:9090', undefined)).toBe(false);
  });

  it('allows listed origins, and "null" only when listed', () => {
    const allow = ['https://admin.example.com', 'http://localhost:5173/'];
    expect(originAllowed('https://admin.example.com', '127.0.0.1:9090', allow)).toBe(true);
    expect(originAllowed('http://localhost:5173', '127.0.0.1:9090', allow)).toBe(true);
    expect(originAllowed('https://admin.example.com:444', '127.0.0.1:9090', allow)).toBe(false);
    expect(originAllowed('null', '127.0.0.1:9090', allow)).toBe(false);
    expect(originAllowed('null', '127.0.0.1:9090', ['null'])).toBe(true);
    expect(originAllowed('not a url', '127.0.0.1:9090')).toBe(false);
  });
});
