import { BYPASS, requireTarget, type Command, type Exec, type SysProxyDriver } from './types';

/** One proxy kind of one network service, as `networksetup -get…proxy` reports it. */
export interface MacProxy { enabled: boolean; server: string; port: number }

/** Per enabled network service ("Wi-Fi", "Ethernet", …): web, secure web and SOCKS proxies and bypass domains. */
export interface MacServiceSettings { web: MacProxy; secure: MacProxy; socks: MacProxy; bypass: string[] }
export interface MacSnapshot { services: Record<string, MacServiceSettings> }

/** The proxy kinds, as networksetup names them: -set<kind>, -set<kind>state, -get<kind>. */
const KINDS = { web: 'webproxy', secure: 'securewebproxy', socks: 'socksfirewallproxy' } as const;
type Kind = keyof typeof KINDS;

const ns = (...args: string[]): Command => ({ argv: ['networksetup', ...args] });

/** Enabled services from `networksetup -listallnetworkservices` (disabled ones start with "*"). */
export function parseServiceList(stdout: string): string[] {
  return stdout.split(/\r?\n/)
    .slice(1) // "An asterisk (*) denotes that a network service is disabled."
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('*'));
}

/** `networksetup -getwebproxy <service>` output: "Enabled: Yes / Server: h / Port: 8080 / …". */
export function parseProxyInfo(stdout: string): MacProxy {
  const field = (name: string): string => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stdout)?.[1]?.trim() ?? '';
  return { enabled: field('Enabled') === 'Yes', server: field('Server'), port: Number(field('Port')) || 0 };
}

/** `networksetup -getproxybypassdomains <service>`: one domain a line, or a sentence when none. */
export function parseBypass(stdout: string): string[] {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.length === 1 && /^There aren't any/i.test(lines[0]) ? [] : lines;
}

export const macDriver: SysProxyDriver<MacSnapshot> = {
  name: 'macos',
  tool: 'networksetup',
  async read(exec: Exec) {
    const services: Record<string, MacServiceSettings> = {};
    for (const svc of parseServiceList((await exec(['networksetup', '-listallnetworkservices'])).stdout)) {
      const get = async (kind: Kind) => parseProxyInfo((await exec(['networksetup', `-get${KINDS[kind]}`, svc])).stdout);
      services[svc] = {
        web: await get('web'), secure: await get('secure'), socks: await get('socks'),
        bypass: parseBypass((await exec(['networksetup', '-getproxybypassdomains', svc])).stdout),
      };
    }
    return { services };
  },
  plan(enable, { target, current }) {
    const out: Command[] = [];
    for (const svc of Object.keys(current.services)) {
      if (!enable) {
        for (const kind of Object.values(KINDS)) out.push(ns(`-set${kind}state`, svc, 'off'));
        continue;
      }
      const t = requireTarget(target);
      // -set<kind> also turns the proxy on; the explicit state keeps that true on older macOS.
      for (const kind of Object.values(KINDS)) out.push(ns(`-set${kind}`, svc, t.host, String(t.port)), ns(`-set${kind}state`, svc, 'on'));
      out.push(ns('-setproxybypassdomains', svc, ...BYPASS.macos));
    }
    return out;
  },
  restore(saved, current) {
    const out: Command[] = [];
    for (const [svc, s] of Object.entries(saved.services)) {
      // A service that disappeared since (adapter removed) cannot be restored.
      if (!(svc in current.services)) continue;
      for (const kind of Object.keys(KINDS) as Kind[]) {
        const p = s[kind];
        if (p.server) out.push(ns(`-set${KINDS[kind]}`, svc, p.server, String(p.port)));
        out.push(ns(`-set${KINDS[kind]}state`, svc, p.enabled ? 'on' : 'off'));
      }
      // "Empty" is networksetup's word for clearing the list.
      out.push(ns('-setproxybypassdomains', svc, ...(s.bypass.length ? s.bypass : ['Empty'])));
    }
    return out;
  },
  pointsAt(cur, t) {
    const services = Object.values(cur.services);
    return services.length > 0 && services.every((s) => s.web.enabled && s.web.server === t.host && s.web.port === t.port);
  },
  isSnapshot: (v): v is MacSnapshot => !!v && typeof v === 'object' && typeof (v as MacSnapshot).services === 'object' && (v as MacSnapshot).services !== null,
};
