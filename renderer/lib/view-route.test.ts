import { describe, expect, it } from 'vitest';
import { hashForView, VIEWS, viewFromHash } from './view-route';

describe('viewFromHash', () => {
  it('maps known hashes to views', () => {
    expect(viewFromHash('#/instances')).toBe('instances');
    expect(viewFromHash('#connections')).toBe('connections');
    expect(viewFromHash('#/logs/extra')).toBe('logs');
    expect(viewFromHash('#/profiles')).toBe('profiles');
    expect(viewFromHash('#/users?instance=relay')).toBe('users');
    expect(viewFromHash('#/settings')).toBe('settings');
    expect(viewFromHash(hashForView('dashboard'))).toBe('dashboard');
  });

  it('round-trips every view', () => {
    for (const v of VIEWS) expect(viewFromHash(hashForView(v))).toBe(v);
  });

  it('falls back to the dashboard', () => {
    expect(viewFromHash('')).toBe('dashboard');
    expect(viewFromHash('#/nope')).toBe('dashboard');
  });
});
