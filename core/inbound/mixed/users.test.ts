import { describe, expect, it } from 'vitest';
import { encodeBasicAuth } from '../../codec/http1';
import { UserTable, checkProxyAuthorization } from './users';

describe('UserTable', () => {
  const users = new UserTable([{ username: 'alice', password: 'a' }, { username: 'bob', password: 'pässword' }]);

  it('names the account for matching credentials, bytes or strings', () => {
    expect(users.required).toBe(true);
    expect(users.check('alice', 'a')).toBe('alice');
    expect(users.check(Buffer.from('bob'), Buffer.from('pässword'))).toBe('bob');
  });

  it('refuses wrong passwords, another user\'s password, prefixes and unknown users', () => {
    for (const [u, p] of [['alice', 'b'], ['alice', 'pässword'], ['bob', 'pässwor'], ['bo', 'pässword'], ['carol', 'a'], ['', '']]) {
      expect(users.check(u!, p!)).toBeNull();
    }
  });

  it('an empty table requires nothing', () => {
    const none = new UserTable([]);
    expect(none.required).toBe(false);
    expect(checkProxyAuthorization(none, undefined)).toEqual({ user: null });
  });
});

describe('checkProxyAuthorization', () => {
  const users = new UserTable([{ username: 'u', password: 'p:1' }]);
  it('tells missing from wrong credentials', () => {
    expect(checkProxyAuthorization(users, encodeBasicAuth('u', 'p:1'))).toEqual({ user: 'u' });
    expect(checkProxyAuthorization(users, undefined)).toEqual({ denied: 'missing' });
    expect(checkProxyAuthorization(users, encodeBasicAuth('u', 'p'))).toEqual({ denied: 'wrong' });
    expect(checkProxyAuthorization(users, 'Bearer x')).toEqual({ denied: 'wrong' });
  });
});
