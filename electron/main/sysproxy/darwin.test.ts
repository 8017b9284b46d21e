import { describe, expect, it } from 'vitest';
import { fakeNetworksetup, fakeTools, type FakeMacService } from '../../../core/test/electron-sysproxy-fakes';
import type { SavedSystemProxy } from '../prefs';
import { macDriver, parseBypass, parseProxyInfo, parseServiceList } from './darwin';
import { createSystemProxy } from './index';

const target = { host: '127.0.0.1', port: 7890 };
const off = { enabled: false, server: '', port: 0 };
const service = (over: Partial<FakeMacService> = {}): FakeMacService => ({ web: { ...off }, secure: { ...off }, socks: { ...off }, bypass: [], ...over });
const slot = () => {
  const s = { value: null as SavedSystemProxy | null, get: () => s.value, set: (v: SavedSystemProxy | null) => { s.value = v; } };
  return s;
};

describe('macOS (networksetup)', () => {
  it('parses service lists, proxy info and bypass domains as networksetup prints them', () => {
    expect(parseServiceList('An asterisk (*) denotes that a network service is disabled.\nWi-Fi\n*Bluetooth PAN\nThunderbolt Bridge\n\n'))
      .toEqual(['Wi-Fi', 'Thunderbolt Bridge']);
    expect(parseProxyInfo('Enabled: Yes\nServer: proxy.corp\nPort: 3128\nAuthenticated Proxy Enabled: 0\n'))
      .toEqual({ enabled: true, server: 'proxy.corp', port: 3128 });
    expect(parseProxyInfo('Enabled: No\nServer: \nPort: 0\n')).toEqual({ enabled: false, server: '', port: 0 });
    expect(parseBypass("There aren't any bypass domains set on Wi-Fi.\n")).toEqual([]);
    expect(parseBypass('*.local\n169.254/16\n')).toEqual(['*.local', '169.254/16']);
  });

  it('plans web, secure web and SOCKS proxies plus bypass domains for every enabled service', () => {
    const current = { services: { 'Wi-Fi': { web: off, secure: off, socks: off, bypass: [] } } };
    expect(macDriver.plan(true, { target, current }).map((c) => c.argv.slice(1).join(' '))).toEqual([
      '-setwebproxy Wi-Fi 127.0.0.1 7890', '-setwebproxystate Wi-Fi on',
      '-setsecurewebproxy Wi-Fi 127.0.0.1 7890', '-setsecurewebproxystate Wi-Fi on',
      '-setsocksfirewallproxy Wi-Fi 127.0.0.1 7890', '-setsocksfirewallproxystate Wi-Fi on',
      '-setproxybypassdomains Wi-Fi localhost 127.0.0.1 ::1 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254/16 *.local',
    ]);
    expect(macDriver.plan(false, { current }).map((c) => c.argv.slice(1).join(' '))).toEqual([
      '-setwebproxystate Wi-Fi off', '-setsecurewebproxystate Wi-Fi off', '-setsocksfirewallproxystate Wi-Fi off',
    ]);
  });

  it('saves each service\'s settings and restores them, skipping disabled services', async () => {
    const services: Record<string, FakeMacService> = {
      'Wi-Fi': service({ web: { enabled: true, server: 'corp', port: 3128 }, bypass: ['*.corp'] }),
      Ethernet: service({ socks: { enabled: false, server: 'old', port: 1080 } }),
      '*Bluetooth PAN': service(),
    };
    const tools = fakeTools({ networksetup: fakeNetworksetup(services) });
    const saved = slot();
    const sp = createSystemProxy({ driver: macDriver, exec: tools.exec, saved });
    await sp.enable(target);
    for (const name of ['Wi-Fi', 'Ethernet']) {
      expect(services[name].web).toEqual({ enabled: true, server: '127.0.0.1', port: 7890 });
      expect(services[name].socks).toEqual({ enabled: true, server: '127.0.0.1', port: 7890 });
      expect(services[name].bypass).toContain('*.local');
    }
    expect(services['*Bluetooth PAN'].web.enabled).toBe(false);
    expect(await sp.status(target)).toEqual({ enabled: true, supported: true });

    await sp.disable();
    expect(services['Wi-Fi']).toEqual(service({ web: { enabled: true, server: 'corp', port: 3128 }, secure: { enabled: false, server: '127.0.0.1', port: 7890 }, socks: { enabled: false, server: '127.0.0.1', port: 7890 }, bypass: ['*.corp'] }));
    expect(services.Ethernet.socks).toEqual({ enabled: false, server: 'old', port: 1080 });
    expect(services.Ethernet.web.enabled).toBe(false);
    expect(services.Ethernet.bypass).toEqual([]);
    expect(saved.value).toBeNull();
  });

  it('a service that vanished since the snapshot is skipped on restore', () => {
    const s = { web: off, secure: off, socks: off, bypass: [] };
    const cmds = macDriver.restore({ services: { 'USB LAN': s, 'Wi-Fi': s } }, { services: { 'Wi-Fi': s } });
    expect(cmds.every((c) => c.argv[2] === 'Wi-Fi')).toBe(true);
    expect(cmds.at(-1)?.argv).toEqual(['networksetup', '-setproxybypassdomains', 'Wi-Fi', 'Empty']);
  });
});
