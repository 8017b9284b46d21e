import { BYPASS, isStringRecord, requireTarget, type Command, type Exec, type SysProxyDriver } from './types';

/** Which Linux desktop's proxy settings to use, from the session's environment. */
export function detectLinuxDesktop(env: Record<string, string | undefined>): 'gnome' | 'kde' {
  const desktops = `${env.XDG_CURRENT_DESKTOP ?? ''}:${env.XDG_SESSION_DESKTOP ?? ''}:${env.DESKTOP_SESSION ?? ''}`.toUpperCase();
  // GNOME, Unity, Cinnamon, Budgie, Pantheon, MATE, XFCE, … all honour org.gnome.system.proxy.
  return desktops.includes('KDE') || env.KDE_FULL_SESSION === 'true' ? 'kde' : 'gnome';
}

// ---------------------------------------------------------------------------------------------
// GNOME: gsettings org.gnome.system.proxy (read by GLib's proxy resolver, Chromium, Firefox with
// "use system proxy", and most GTK apps).

const GNOME = 'org.gnome.system.proxy';

/** The keys we touch, as "<sub-schema>.<key>" ("" for the base schema). */
const GNOME_KEYS = [
  'mode', 'autoconfig-url', 'ignore-hosts', 'use-same-proxy',
  'http.host', 'http.port', 'https.host', 'https.port', 'socks.host', 'socks.port',
] as const;

/** Raw GVariant text per key, exactly as `gsettings get` printed it (restored verbatim). */
export type GnomeSnapshot = Record<string, string>;

function gnomeSchemaKey(k: string): [string, string] {
  const dot = k.indexOf('.');
  return dot < 0 ? [GNOME, k] : [`${GNOME}.${k.slice(0, dot)}`, k.slice(dot + 1)];
}

const gset = (k: string, value: string): Command => ({ argv: ['gsettings', 'set', ...gnomeSchemaKey(k), value] });

/** A GVariant string literal. */
export function gvString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The value of a GVariant string literal as gsettings prints it ('x' or "x"); other text as is. */
export function parseGvString(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && (t[0] === "'" || t[0] === '"') && t.at(-1) === t[0]) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

const gvStringArray = (items: readonly string[]): string => `[${items.map(gvString).join(', ')}]`;

export const gnomeDriver: SysProxyDriver<GnomeSnapshot> = {
  name: 'gnome',
  tool: 'gsettings',
  async read(exec: Exec) {
    const out: GnomeSnapshot = {};
    for (const k of GNOME_KEYS) out[k] = (await exec(['gsettings', 'get', ...gnomeSchemaKey(k)])).stdout.trim();
    return out;
  },
  plan(enable, { target }) {
    if (!enable) return [gset('mode', gvString('none'))];
    const t = requireTarget(target);
    const host = gvString(t.host);
    const port = String(t.port);
    return [
      gset('http.host', host), gset('http.port', port),
      gset('https.host', host), gset('https.port', port),
      gset('socks.host', host), gset('socks.port', port),
      gset('ignore-hosts', gvStringArray(BYPASS.gnome)),
      // Last, so readers never see "manual" with half-written hosts.
      gset('mode', gvString('manual')),
    ];
  },
  restore(saved) {
    const keys = Object.keys(saved).filter((k) => (GNOME_KEYS as readonly string[]).includes(k) && saved[k] !== '');
    const mode = keys.filter((k) => k === 'mode');
    return [...keys.filter((k) => k !== 'mode'), ...mode].map((k) => gset(k, saved[k]));
  },
  pointsAt(cur, t) {
    return parseGvString(cur.mode ?? '') === 'manual' && parseGvString(cur['http.host'] ?? '') === t.host && (cur['http.port'] ?? '').trim() === String(t.port);
  },
  isSnapshot: (v): v is GnomeSnapshot => isStringRecord(v) && typeof v.mode === 'string',
};

// ---------------------------------------------------------------------------------------------
// KDE: ~/.config/kioslaverc [Proxy Settings] via kwriteconfig5/6, then a D-Bus signal telling
// running KIO workers to re-read it (Plasma's own settings module does the same).

const KDE_KEYS = ['ProxyType', 'httpProxy', 'httpsProxy', 'socksProxy', 'NoProxyFor', 'Proxy Config Script'] as const;

/** Raw values per key as kreadconfig printed them; "" means unset (deleted on restore). */
export type KdeSnapshot = Record<string, string>;

/** kioslaverc ProxyType values. */
const KDE_PROXY_TYPE = { none: '0', manual: '1' } as const;

export function kdeDriver(version: 5 | 6): SysProxyDriver<KdeSnapshot> {
  const write = `kwriteconfig${version}`;
  const read = `kreadconfig${version}`;
  const where = ['--file', 'kioslaverc', '--group', 'Proxy Settings', '--key'];
  const set = (key: string, value: string): Command => ({ argv: [write, ...where, key, value] });
  const del = (key: string): Command => ({ argv: [write, ...where, key, '--delete'] });
  const reparse: Command = {
    argv: ['dbus-send', '--type=signal', '/KIO/Scheduler', 'org.kde.KIO.Scheduler.reparseSlaveConfiguration', 'string:'],
    bestEffort: true,
  };
  return {
    name: 'kde',
    tool: write,
    async read(exec) {
      const out: KdeSnapshot = {};
      for (const k of KDE_KEYS) out[k] = (await exec([read, ...where, k])).stdout.replace(/\r?\n$/, '');
      return out;
    },
    plan(enable, { target }) {
      if (!enable) return [set('ProxyType', KDE_PROXY_TYPE.none), reparse];
      const t = requireTarget(target);
      // KDE writes "scheme://host port" (a space before the port).
      const host = t.host.includes(':') ? `[${t.host}]` : t.host;
      return [
        set('httpProxy', `http://${host} ${t.port}`),
        set('httpsProxy', `http://${host} ${t.port}`),
        set('socksProxy', `socks://${host} ${t.port}`),
        set('NoProxyFor', BYPASS.kde.join(',')),
        set('ProxyType', KDE_PROXY_TYPE.manual),
        reparse,
      ];
    },
    restore(saved) {
      const keys = KDE_KEYS.filter((k) => k in saved && k !== 'ProxyType');
      const cmds = keys.map((k) => (saved[k] === '' ? del(k) : set(k, saved[k])));
      if ('ProxyType' in saved) cmds.push(saved.ProxyType === '' ? del('ProxyType') : set('ProxyType', saved.ProxyType));
      return [...cmds, reparse];
    },
    pointsAt(cur, t) {
      const host = t.host.includes(':') ? `[${t.host}]` : t.host;
      const http = (cur.httpProxy ?? '').trim();
      return cur.ProxyType?.trim() === KDE_PROXY_TYPE.manual
        && (http === `http://${host} ${t.port}` || http === `http://${host}:${t.port}`);
    },
    isSnapshot: (v): v is KdeSnapshot => isStringRecord(v) && typeof v.ProxyType === 'string',
  };
}
