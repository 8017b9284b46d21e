import { describe, expect, it } from 'vitest';
import { tunnelModeKey } from './tunnel-mode';

describe('tunnelModeKey', () => {
  it('names the resolved mode per role', () => {
    expect(tunnelModeKey({ role: 'server', mode: 1 })).toBe('serverReverse');
    expect(tunnelModeKey({ role: 'server', mode: 2 })).toBe('serverForward');
    expect(tunnelModeKey({ role: 'client', mode: 1 })).toBe('clientSingle');
    expect(tunnelModeKey({ role: 'client', mode: 2 })).toBe('clientDual');
    expect(tunnelModeKey({ role: 'client', mode: 0 })).toBe('pending');
  });
});
