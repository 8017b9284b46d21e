import { BYPASS, hostPort, requireTarget, type Command, type Exec, type SysProxyDriver } from './types';

const KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';

/** The values we touch; null when absent. A PAC URL (AutoConfigURL) would win over ProxyServer, so it is set aside too. */
export interface WinSnapshot {
  ProxyEnable: string | null;
  ProxyServer: string | null;
  ProxyOverride: string | null;
  AutoConfigURL: string | null;
}
const NAMES = ['ProxyEnable', 'ProxyServer', 'ProxyOverride', 'AutoConfigURL'] as const;

/**
 * Tells WinINet (and so Edge, Chrome and most apps) that the settings changed:
 * InternetSetOption(INTERNET_OPTION_SETTINGS_CHANGED = 39) then (INTERNET_OPTION_REFRESH = 37).
 * Without it running apps keep the old proxy until they restart.
 */
export const WININET_REFRESH_SCRIPT = [
  "$s='[DllImport(\"wininet.dll\",SetLastError=true)] public static extern bool InternetSetOption(System.IntPtr h,int o,System.IntPtr b,int l);'",
  "$w=Add-Type -MemberDefinition $s -Name WinInet -Namespace RelayDesk -PassThru",
  '[void]$w::InternetSetOption([System.IntPtr]::Zero,39,[System.IntPtr]::Zero,0)',
  '[void]$w::InternetSetOption([System.IntPtr]::Zero,37,[System.IntPtr]::Zero,0)',
].join(';');

const refresh: Command = {
  argv: ['powershell.exe', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', WININET_REFRESH_SCRIPT],
  bestEffort: true,
};
const regAdd = (name: string, type: 'REG_DWORD' | 'REG_SZ', data: string): Command => ({ argv: ['reg', 'add', KEY, '/v', name, '/t', type, '/d', data, '/f'] });
// Deleting a value that is already gone fails; that is the state we wanted.
const regDelete = (name: string): Command => ({ argv: ['reg', 'delete', KEY, '/v', name, '/f'], bestEffort: true });

/** Values of `reg query <key>`: lines "    Name    REG_TYPE    data". */
export function parseRegQuery(stdout: string): Record<string, { type: string; data: string }> {
  const out: Record<string, { type: string; data: string }> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s+(\S+)\s+(REG_[A-Z_]+)(?:\s+(.*))?$/.exec(line);
    if (m) out[m[1]] = { type: m[2], data: (m[3] ?? '').trim() };
  }
  return out;
}

/** REG_DWORD as reg prints it ("0x1") to the decimal `reg add` takes. */
const dword = (v: string): string => String(Number.parseInt(v, v.startsWith('0x') ? 16 : 10) || 0);

export const winDriver: SysProxyDriver<WinSnapshot> = {
  name: 'windows',
  tool: 'reg',
  async read(exec: Exec) {
    const values = parseRegQuery((await exec(['reg', 'query', KEY])).stdout);
    const snap = {} as WinSnapshot;
    for (const n of NAMES) snap[n] = values[n]?.data ?? null;
    return snap;
  },
  plan(enable, { target }) {
    if (!enable) return [regAdd('ProxyEnable', 'REG_DWORD', '0'), refresh];
    const t = requireTarget(target);
    return [
      regAdd('ProxyServer', 'REG_SZ', hostPort(t)),
      regAdd('ProxyOverride', 'REG_SZ', BYPASS.windows.join(';')),
      regDelete('AutoConfigURL'),
      regAdd('ProxyEnable', 'REG_DWORD', '1'),
      refresh,
    ];
  },
  restore(saved) {
    const cmds: Command[] = [];
    for (const n of NAMES) {
      const v = saved[n];
      if (v === null) cmds.push(regDelete(n));
      else cmds.push(n === 'ProxyEnable' ? regAdd(n, 'REG_DWORD', dword(v)) : regAdd(n, 'REG_SZ', v));
    }
    return [...cmds, refresh];
  },
  pointsAt(cur, t) {
    return cur.ProxyEnable !== null && dword(cur.ProxyEnable) === '1' && cur.ProxyServer === hostPort(t);
  },
  isSnapshot: (v): v is WinSnapshot => !!v && typeof v === 'object' && NAMES.every((n) => {
    const x = (v as Record<string, unknown>)[n];
    return x === null || typeof x === 'string';
  }),
};
