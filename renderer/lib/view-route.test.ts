import { describe, expect, it } from 'vitest';
import { hashForView, viewFromHash } from './view-route';

describe('viewFromHash', () => {
  it('maps known hashes to views', () => {
    expect(viewFromHash('#/instances')).toBe('instances');
    expect(viewFromHash('#connections')).toBe('connections');
    expect(viewFromHash('#/logs/extra')).toBe('logs');
    expect(viewFromHash(hashForView('dashboard'))).toBe('dashboard');
  });

  it('falls back to the dashboard', () => {
    expect(viewFromHash('')).toBe('dashboard');
    expect(viewFromHash('#/nope')).toBe('dashboard');
  });
});
