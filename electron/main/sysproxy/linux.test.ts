import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeGsettings, fakeKioslaverc, fakeTools } from '../../../core/test/electron-sysproxy-fakes';
import type { SavedSystemProxy } from '../prefs';
import { createExec } from './exec';
import { createSystemProxy, selectDriver, type SavedSlot } from './index';
import { detectLinuxDesktop, gnomeDriver, gvString, kdeDriver, parseGvString } from './linux';

const target = { host: '127.0.0.1', port: 7890 };
const G = 'org.gnome.system.proxy';

function slot(): SavedSlot & { value: SavedSystemProxy | null } {
  const s = { value: null as SavedSystemProxy | null, get: () => s.value, set: (v: SavedSystemProxy | null) => { s.value = v; } };
  return s;
}

describe('Linux desktop detection', () => {
  it('KDE from XDG_CURRENT_DESKTOP or KDE_FULL_SESSION, GNOME-family otherwise', () => {
    expect(detectLinuxDesktop({ XDG_CURRENT_DESKTOP: 'KDE' })).toBe('kde');
    expect(detectLinuxDesktop({ XDG_SESSION_DESKTOP: 'plasma', KDE_FULL_SESSION: 'true' })).toBe('kde');
    expect(detectLinuxDesktop({ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' })).toBe('gnome');
    expect(detectLinuxDesktop({ XDG_CURRENT_DESKTOP: 'X-Cinnamon' })).toBe('gnome');
    expect(detectLinuxDesktop({})).toBe('gnome');
    expect(selectDriver('linux', { XDG_CURRENT_DESKTOP: 'KDE', KDE_SESSION_VERSION: '6' })?.tool).toBe('kwriteconfig6');
    expect(selectDriver('linux', { XDG_CURRENT_DESKTOP: 'KDE' })?.tool).toBe('kwriteconfig5');
    expect(selectDriver('linux', {})?.name).toBe('gnome');
    expect(selectDriver('freebsd', {})).toBeNull();
  });
});

describe('GNOME (gsettings)', () => {
  it('GVariant strings are quoted and escaped both ways', () => {
    expect(gvString("it's \\ here")).toBe("'it\\'s \\\\ here'");
    expect(parseGvString("'it\\'s \\\\ here'")).toBe("it's \\ here");
    expect(parseGvString('"x"')).toBe('x');
  });

  it('plans: hosts and ports for http/https/socks, bypass list, mode manual last; disable = mode none', () => {
    const cmds = gnomeDriver.plan(true, { target, current: {} }).map((c) => c.argv);
    expect(cmds).toEqual([
      ['gsettings', 'set', `${G}.http`, 'host', "'127.0.0.1'"], ['gsettings', 'set', `${G}.http`, 'port', '7890'],
      ['gsettings', 'set', `${G}.https`, 'host', "'127.0.0.1'"], ['gsettings', 'set', `${G}.https`, 'port', '7890'],
      ['gsettings', 'set', `${G}.socks`, 'host', "'127.0.0.1'"], ['gsettings', 'set', `${G}.socks`, 'port', '7890'],
      ['gsettings', 'set', G, 'ignore-hosts', "['localhost', '127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '*.local']"],
      ['gsettings', 'set', G, 'mode', "'manual'"],
    ]);
    expect(gnomeDriver.plan(false, { current: {} }).map((c) => c.argv)).toEqual([['gsettings', 'set', G, 'mode', "'none'"]]);
  });

  it('saves the user\'s settings before enabling and restores them exactly on disable', async () => {
    const gs = fakeGsettings({ [`${G} mode`]: "'auto'", [`${G} autoconfig-url`]: "'http://wpad/proxy.pac'", [`${G} ignore-hosts`]: "['corp.example']" });
    const tools = fakeTools({ gsettings: gs.handler });
    const saved = slot();
    const sp = createSystemProxy({ driver: gnomeDriver, exec: tools.exec, saved, now: () => 42 });

    expect(await sp.status(target)).toEqual({ enabled: false, supported: true });
    await sp.enable(target);
    expect(gs.state.get(`${G} mode`)).toBe("'manual'");
    expect(gs.state.get(`${G}.socks host`)).toBe("'127.0.0.1'");
    expect(await sp.status(target)).toEqual({ enabled: true, supported: true });
    expect(saved.value).toMatchObject({ driver: 'gnome', savedAt: 42, settings: { mode: "'auto'", 'autoconfig-url': "'http://wpad/proxy.pac'" } });

    // Enabling again (e.g. after a restart) keeps the first snapshot, not our own settings.
    await sp.enable({ host: '127.0.0.1', port: 7891 });
    expect(saved.value?.settings).toMatchObject({ mode: "'auto'" });

    await sp.disable();
    expect(saved.value).toBeNull();
    expect(gs.state.get(`${G} mode`)).toBe("'auto'");
    expect(gs.state.get(`${G} ignore-hosts`)).toBe("['corp.example']");
    expect(gs.state.get(`${G}.http host`)).toBe("''");
    expect(gs.state.get(`${G}.http port`)).toBe('8080');
    expect(await sp.status(target)).toEqual({ enabled: false, supported: true });
    // The last command restores the mode, after every host/port.
    expect(tools.calls.at(-(1 + 10))?.slice(1)).toEqual(['set', G, 'mode', "'auto'"]);
  });

  it('disable with nothing saved just turns the proxy off; restoreReplaced is then a no-op', async () => {
    const gs = fakeGsettings({ [`${G} mode`]: "'manual'" });
    const sp = createSystemProxy({ driver: gnomeDriver, exec: fakeTools({ gsettings: gs.handler }).exec, saved: slot() });
    expect(await sp.restoreReplaced()).toBe(false);
    expect(gs.state.get(`${G} mode`)).toBe("'manual'");
    await sp.disable();
    expect(gs.state.get(`${G} mode`)).toBe("'none'");
  });

  it('restoreReplaced (quit) puts back what was replaced', async () => {
    const gs = fakeGsettings();
    const saved = slot();
    const sp = createSystemProxy({ driver: gnomeDriver, exec: fakeTools({ gsettings: gs.handler }).exec, saved });
    await sp.enable(target);
    expect(await sp.restoreReplaced()).toBe(true);
    expect(gs.state.get(`${G} mode`)).toBe("'none'");
    expect(saved.value).toBeNull();
  });

  it('reports a missing gsettings in status and rejects changes with a message naming it', async () => {
    const sp = createSystemProxy({ driver: gnomeDriver, exec: fakeTools({}).exec, saved: slot() });
    const st = await sp.status(target);
    expect(st).toMatchObject({ enabled: false, supported: false });
    expect(st.error).toMatch(/^gsettings not found: cannot read the GNOME proxy settings/);
    const err = await sp.enable(target).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_INTERNAL', data: { missing: true, tool: 'gsettings' } });
    expect((err as Error).message).toContain('gsettings not found');
  });

  it('a failure half-way restores the saved settings and reports the tool\'s error', async () => {
    const gs = fakeGsettings({ [`${G} mode`]: "'auto'" });
    const saved = slot();
    const tools = fakeTools({ gsettings: (args) => {
      // Writing our socks host fails; writing the user's value back works.
      if (args[0] === 'set' && args[1] === `${G}.socks` && args[3] === "'127.0.0.1'") throw new Error('GSettings: not writable');
      return gs.handler(args);
    } });
    const sp = createSystemProxy({ driver: gnomeDriver, exec: tools.exec, saved });
    const err = await sp.enable(target).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/cannot change the GNOME proxy settings: .*not writable/);
    expect(gs.state.get(`${G} mode`)).toBe("'auto'");
    expect(gs.state.get(`${G}.http host`)).toBe("''");
    expect(saved.value).toBeNull();
  });

  const hasGsettings = (() => { try { execFileSync('gsettings', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
  describe.runIf(hasGsettings)('with the real gsettings (keyfile backend in a temp dir)', () => {
    const dirs: string[] = [];
    afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

    it('enable then disable round-trips the user\'s settings', async () => {
      const home = mkdtempSync(join(tmpdir(), 'relaydesk-gsettings-'));
      dirs.push(home);
      const exec = createExec({ env: { ...process.env, GSETTINGS_BACKEND: 'keyfile', XDG_CONFIG_HOME: home, DBUS_SESSION_BUS_ADDRESS: 'disabled:' } });
      await exec(['gsettings', 'set', G, 'mode', 'auto']);
      await exec(['gsettings', 'set', G, 'autoconfig-url', 'http://wpad/p.pac']);
      await exec(['gsettings', 'set', G, 'ignore-hosts', "['corp.example', '10.0.0.0/8']"]);
      const before = await gnomeDriver.read(exec);

      const saved = slot();
      const sp = createSystemProxy({ driver: gnomeDriver, exec, saved });
      await sp.enable(target);
      const during = await gnomeDriver.read(exec);
      expect(during).toMatchObject({ mode: "'manual'", 'http.host': "'127.0.0.1'", 'http.port': '7890', 'socks.port': '7890' });
      expect(during['ignore-hosts']).toContain("'*.local'");
      expect(await sp.status(target)).toEqual({ enabled: true, supported: true });

      await sp.disable();
      expect(await gnomeDriver.read(exec)).toEqual(before);
      expect(before).toMatchObject({ mode: "'auto'", 'autoconfig-url': "'http://wpad/p.pac'" });
    });
  });
});

describe('KDE (kioslaverc)', () => {
  it('plans kwriteconfig writes in KDE\'s "scheme://host port" form, then the KIO reparse signal', () => {
    const cmds = kdeDriver(5).plan(true, { target, current: {} });
    const w = ['kwriteconfig5', '--file', 'kioslaverc', '--group', 'Proxy Settings', '--key'];
    expect(cmds.map((c) => c.argv)).toEqual([
      [...w, 'httpProxy', 'http://127.0.0.1 7890'],
      [...w, 'httpsProxy', 'http://127.0.0.1 7890'],
      [...w, 'socksProxy', 'socks://127.0.0.1 7890'],
      [...w, 'NoProxyFor', 'localhost,127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,.local'],
      [...w, 'ProxyType', '1'],
      ['dbus-send', '--type=signal', '/KIO/Scheduler', 'org.kde.KIO.Scheduler.reparseSlaveConfiguration', 'string:'],
    ]);
    expect(cmds.at(-1)?.bestEffort).toBe(true);
    expect(kdeDriver(6).plan(false, { current: {} }).map((c) => c.argv[0])).toEqual(['kwriteconfig6', 'dbus-send']);
    expect(kdeDriver(5).plan(true, { target: { host: '::1', port: 1 }, current: {} })[0].argv.at(-1)).toBe('http://[::1] 1');
  });

  it('restores previous values and deletes keys that were unset; a missing dbus-send is only a warning', async () => {
    const rc = fakeKioslaverc({ NoProxyFor: 'intranet', httpProxy: 'http://corp 3128', ProxyType: '0' });
    const tools = fakeTools({ kreadconfig5: rc.read, kwriteconfig5: rc.write });
    const warnings: string[] = [];
    const saved = slot();
    const sp = createSystemProxy({ driver: kdeDriver(5), exec: tools.exec, saved, warn: (m) => warnings.push(m) });
    await sp.enable(target);
    expect(Object.fromEntries(rc.group)).toMatchObject({ ProxyType: '1', httpProxy: 'http://127.0.0.1 7890', socksProxy: 'socks://127.0.0.1 7890' });
    expect(await sp.status(target)).toMatchObject({ enabled: true });
    expect(warnings).toEqual([expect.stringContaining('dbus-send failed (ignored)')]);

    await sp.disable();
    expect(Object.fromEntries(rc.group)).toEqual({ NoProxyFor: 'intranet', httpProxy: 'http://corp 3128', ProxyType: '0' });
    expect(tools.calls.some((c) => c.includes('--delete') && c.includes('socksProxy'))).toBe(true);
    expect(saved.value).toBeNull();
  });
});
