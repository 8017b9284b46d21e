import { describe, expect, it } from 'vitest';
import { dashboardUrl } from './dashboard';
import { connectHost, defaultDataDir } from './paths';

describe('defaultDataDir', () => {
  it('prefers $RELAYDESK_DATA_DIR, then the platform config dir', () => {
    expect(defaultDataDir({ RELAYDESK_DATA_DIR: '/srv/rd' }, 'linux', '/home/u')).toBe('/srv/rd');
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.config/relaydesk');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u')).toBe('/cfg/relaydesk');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '' }, 'freebsd', '/home/u')).toBe('/home/u/.config/relaydesk');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/RelayDesk');
    expect(defaultDataDir({ APPDATA: '/appdata' }, 'win32', '/home/u')).toMatch(/appdata[\\/]RelayDesk$/);
  });
});

describe('dashboardUrl', () => {
  it('prints a reachable address with the token', () => {
    expect(dashboardUrl('127.0.0.1:9090', 'abc')).toBe('http://127.0.0.1:9090/?token=abc');
    expect(dashboardUrl('0.0.0.0:9090', 'a b')).toBe('http://127.0.0.1:9090/?token=a%20b');
    expect(dashboardUrl('[::]:1', 't')).toBe('http://[::1]:1/?token=t');
    expect(dashboardUrl('[::1]:1', 't')).toBe('http://[::1]:1/?token=t');
    expect(connectHost('10.0.0.1')).toBe('10.0.0.1');
  });
});
