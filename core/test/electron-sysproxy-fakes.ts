// Stand-ins for the OS proxy tools (gsettings, kreadconfig/kwriteconfig, networksetup, reg) that
// keep their settings in memory and print what the real tools print, so the electron/main/sysproxy
// drivers run their real read → plan → exec → read cycle on any machine.
import { ExecError, type Exec, type ExecResult } from '../../electron/main/sysproxy/types';

export interface FakeTool {
  exec: Exec;
  /** Every argv run, in order. */
  calls: string[][];
}

const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '' });

/** Wraps handlers by program name; unknown programs reject ENOENT like a missing binary. */
export function fakeTools(handlers: Record<string, (args: string[]) => string>): FakeTool {
  const calls: string[][] = [];
  const exec: Exec = async (argv) => {
    calls.push([...argv]);
    const [file, ...args] = argv;
    const h = handlers[file];
    if (!h) throw new ExecError('ENOENT', argv, `${file} not found`);
    try {
      return ok(h(args));
    } catch (err) {
      throw new ExecError('EXIT', argv, `${argv.slice(0, 3).join(' ')} failed: ${(err as Error).message}`, (err as Error).message);
    }
  };
  return { exec, calls };
}

/** gsettings with org.gnome.system.proxy* at their schema defaults. */
export function fakeGsettings(initial: Record<string, string> = {}): { handler: (args: string[]) => string; state: Map<string, string> } {
  const P = 'org.gnome.system.proxy';
  const state = new Map<string, string>([
    [`${P} mode`, "'none'"], [`${P} autoconfig-url`, "''"], [`${P} ignore-hosts`, "['localhost', '127.0.0.0/8', '::1']"],
    [`${P} use-same-proxy`, 'true'],
    ...['http', 'https', 'socks'].flatMap((s): Array<[string, string]> => [[`${P}.${s} host`, "''"], [`${P}.${s} port`, s === 'http' ? '8080' : '0']]),
    ...Object.entries(initial),
  ]);
  const handler = (args: string[]): string => {
    const [verb, schema, key, value] = args;
    const k = `${schema} ${key}`;
    if (!state.has(k)) throw new Error(`No such key "${key}"`);
    if (verb === 'get') return `${state.get(k)}\n`;
    if (verb === 'set') { state.set(k, value); return ''; }
    throw new Error(`unknown command ${verb}`);
  };
  return { handler, state };
}

/** kreadconfig/kwriteconfig over one [Proxy Settings] group of kioslaverc. */
export function fakeKioslaverc(initial: Record<string, string> = {}): { read: (args: string[]) => string; write: (args: string[]) => string; group: Map<string, string> } {
  const group = new Map(Object.entries(initial));
  const keyOf = (args: string[]): string => {
    const i = args.indexOf('--key');
    if (args[args.indexOf('--file') + 1] !== 'kioslaverc' || args[args.indexOf('--group') + 1] !== 'Proxy Settings' || i < 0) throw new Error('unexpected arguments');
    return args[i + 1];
  };
  return {
    group,
    read: (args) => `${group.get(keyOf(args)) ?? ''}\n`,
    write: (args) => {
      const key = keyOf(args);
      const value = args[args.indexOf('--key') + 2];
      if (value === '--delete') group.delete(key);
      else group.set(key, value);
      return '';
    },
  };
}

export interface FakeMacService {
  web: { enabled: boolean; server: string; port: number };
  secure: { enabled: boolean; server: string; port: number };
  socks: { enabled: boolean; server: string; port: number };
  bypass: string[];
}

/** networksetup with the given services ("*Name" = disabled). */
export function fakeNetworksetup(services: Record<string, FakeMacService>): (args: string[]) => string {
  const kinds: Record<string, keyof Omit<FakeMacService, 'bypass'>> = { webproxy: 'web', securewebproxy: 'secure', socksfirewallproxy: 'socks' };
  const svc = (name: string): FakeMacService => {
    const s = services[name];
    if (!s) throw new Error(`${name} is not a recognized network service.`);
    return s;
  };
  return (args) => {
    const [cmd, name, ...rest] = args;
    if (cmd === '-listallnetworkservices') return `An asterisk (*) denotes that a network service is disabled.\n${Object.keys(services).join('\n')}\n`;
    if (cmd === '-getproxybypassdomains') {
      const b = svc(name).bypass;
      return b.length ? `${b.join('\n')}\n` : `There aren't any bypass domains set on ${name}.\n`;
    }
    if (cmd === '-setproxybypassdomains') { svc(name).bypass = rest[0] === 'Empty' ? [] : rest; return ''; }
    let m = /^-get(\w+)$/.exec(cmd);
    if (m && kinds[m[1]]) {
      const p = svc(name)[kinds[m[1]]];
      return `Enabled: ${p.enabled ? 'Yes' : 'No'}\nServer: ${p.server}\nPort: ${p.port}\nAuthenticated Proxy Enabled: 0\n`;
    }
    m = /^-set(\w+?)(state)?$/.exec(cmd);
    if (m && kinds[m[1]]) {
      const p = svc(name)[kinds[m[1]]];
      if (m[2]) p.enabled = rest[0] === 'on';
      else Object.assign(p, { server: rest[0], port: Number(rest[1]), enabled: true });
      return '';
    }
    throw new Error(`** Error: unknown option ${cmd}`);
  };
}

/** reg.exe over HKCU\…\Internet Settings, printing `reg query` the way Windows does. */
export function fakeReg(initial: Record<string, { type: string; data: string }> = {}): { handler: (args: string[]) => string; values: Map<string, { type: string; data: string }> } {
  const KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
  const values = new Map(Object.entries(initial));
  const handler = (args: string[]): string => {
    const [verb, key] = args;
    if (key !== KEY) throw new Error('ERROR: The system was unable to find the specified registry key or value.');
    const opt = (name: string): string | undefined => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
    if (verb === 'query') {
      const lines = [...values].map(([n, v]) => `    ${n}    ${v.type}    ${v.type === 'REG_DWORD' ? `0x${Number(v.data).toString(16)}` : v.data}`);
      return `\r\nHKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\r\n${lines.join('\r\n')}\r\n\r\n`;
    }
    if (verb === 'add') { values.set(opt('/v')!, { type: opt('/t')!, data: opt('/d')! }); return 'The operation completed successfully.\r\n'; }
    if (verb === 'delete') {
      if (!values.delete(opt('/v')!)) throw new Error('ERROR: The system was unable to find the specified registry key or value.');
      return 'The operation completed successfully.\r\n';
    }
    throw new Error('ERROR: Invalid syntax.');
  };
  return { handler, values };
}
