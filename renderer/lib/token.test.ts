import { describe, expect, it } from 'vitest';
import { rpcSocketUrl, takeToken } from './token';

describe('takeToken', () => {
  it('takes the token from the query and removes it from the URL', () => {
    expect(takeToken('http://127.0.0.1:9090/?token=abc%2F1#/instances', null)).toEqual({
      token: 'abc/1',
      cleanedUrl: 'http://127.0.0.1:9090/#/instances',
    });
  });

  it('keeps other query parameters', () => {
    expect(takeToken('http://h/?a=1&token=t&b=2', null).cleanedUrl).toBe('http://h/?a=1&b=2');
  });

  it('falls back to the stored token', () => {
    expect(takeToken('http://h/#/logs', 'saved')).toEqual({ token: 'saved', cleanedUrl: null });
    expect(takeToken('http://h/?token=', 'saved')).toEqual({ token: 'saved', cleanedUrl: 'http://h/' });
  });

  it('finds nothing when neither has one', () => {
    expect(takeToken('http://h/', null)).toEqual({ token: null, cleanedUrl: null });
  });
});

describe('rpcSocketUrl', () => {
  it('follows the page scheme and escapes the token', () => {
    expect(rpcSocketUrl({ protocol: 'http:', host: '127.0.0.1:9090' }, 'a b')).toBe('ws://127.0.0.1:9090/rpc?token=a%20b');
    expect(rpcSocketUrl({ protocol: 'https:', host: 'x.example' }, 't')).toBe('wss://x.example/rpc?token=t');
  });
});
