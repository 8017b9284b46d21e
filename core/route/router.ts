import type { ConnMeta, Outbound, RouteDecision, Router } from '../adapter';
import { cidrContains, isLocalHostname, isPrivateOrLocal, parseCidr, parseIp, type Cidr, type ParsedIp } from '../common/net';
import type { Logger } from '../log/logger';
import { CoreError, ruleValueProblem, type Rule, type RouteSettings } from '../rpc';
import { createLookupCache, type LookupFn } from './lookup-cache';

export interface RouterOptions {
  /** The current route settings, read on every route(); rules are compiled once per settings object. */
  settings: () => RouteSettings;
  /** The outbound registered under a tag, if any. */
  outbound: (tag: string) => Outbound | undefined;
  log: Logger;
  /** Resolves domains for ip_cidr rules. @default dns.lookup through a 30 s cache */
  lookup?: LookupFn;
}

/**
 * Picks the outbound for each connection (Clash-like semantics, first matching rule wins):
 * - mode "direct": everything to "direct" (rule "mode(direct)").
 * - lanBypass (global and rule modes): private/loopback/link-local IP literals and local host
 *   names ("localhost", "*.localhost", single labels) go to "direct" (rule "lan"); domains are
 *   not resolved for this check.
 * - mode "global": everything else to `globalOutbound` (rule "mode(global)").
 * - mode "rule": domain = exact, domain_suffix = equal or a subdomain, domain_keyword = substring
 *   (all case-insensitive, trailing dot ignored, never matching IP literals); ip_cidr = the
 *   destination IP, or — for a domain reaching the first ip_cidr rule unmatched — any of its
 *   addresses (looked up once per route, cached 30 s, 5 s timeout; a failed lookup matches
 *   nothing); src_cidr = the client address; dst_port = "443" or "8000-9000". No match → `final`.
 * A matching rule naming an unknown outbound rejects with E_CONFIG_INVALID (warned once).
 */
export function createRouter(opts: RouterOptions): Router {
  const compiled = new WeakMap<RouteSettings, CompiledRule[]>();
  const warned = new WeakMap<RouteSettings, Set<string>>();
  const lookup: LookupFn = opts.lookup ?? createLookupCache({
    onFailure: (host, reason) => {
      if (opts.log.enabled('debug')) opts.log.debug(`lookup ${host} for ip_cidr rules failed: ${reason}`);
    },
  });

  const rulesOf = (s: RouteSettings): CompiledRule[] => {
    let rules = compiled.get(s);
    if (!rules) {
      rules = compileRules(s.rules, opts.log);
      compiled.set(s, rules);
    }
    return rules;
  };

  const decide = (s: RouteSettings, tag: string, rule: string): RouteDecision => {
    const outbound = opts.outbound(tag);
    if (outbound) return { outbound, rule };
    const message = `rule ${rule} names unknown outbound "${tag}"`;
    let seen = warned.get(s);
    if (!seen) warned.set(s, (seen = new Set()));
    if (!seen.has(message)) {
      seen.add(message);
      opts.log.warn(message);
    }
    throw new CoreError('E_CONFIG_INVALID', message);
  };

  return {
    async route(meta: ConnMeta): Promise<RouteDecision> {
      const s = opts.settings();
      if (s.mode === 'direct') return decide(s, 'direct', 'mode(direct)');
      const host = normalizeHost(meta.destination.host);
      const ip = parseIp(host);
      if (s.lanBypass && (ip ? isPrivateOrLocal(ip) : isLocalHostname(host))) return decide(s, 'direct', 'lan');
      if (s.mode === 'global') return decide(s, s.globalOutbound, 'mode(global)');
      let resolved: ParsedIp[] | undefined;
      let source: ParsedIp | null | undefined;
      for (const r of rulesOf(s)) {
        let hit: boolean;
        switch (r.type) {
          case 'domain':
            hit = ip === null && host === r.value;
            break;
          case 'domain_suffix':
            hit = ip === null && (host === r.value || (host.endsWith(r.value) && host.charCodeAt(host.length - r.value.length - 1) === 46));
            break;
          case 'domain_keyword':
            hit = ip === null && host.includes(r.value);
            break;
          case 'ip_cidr':
            if (ip !== null) hit = cidrContains(r.cidr!, ip);
            else {
              resolved ??= (await lookup(host)).map(parseIp).filter((p): p is ParsedIp => p !== null);
              hit = resolved.some((p) => cidrContains(r.cidr!, p));
            }
            break;
          case 'src_cidr':
            if (source === undefined) source = parseIp(meta.source.address);
            hit = cidrContains(r.cidr!, source);
            break;
          case 'dst_port':
            hit = meta.destination.port >= r.lo && meta.destination.port <= r.hi;
            break;
        }
        if (hit) return decide(s, r.outbound, r.text);
      }
      return decide(s, s.final, 'final');
    },
  };
}

/**
 * Problems that would make routing fail, each with its path in RouteSettings:
 * `rules[3].outbound: unknown outbound "foo"`, `final: unknown outbound "x"`, bad rule values.
 */
export function validateRouteSettings(settings: RouteSettings, knownTags: string[]): string[] {
  const known = new Set(knownTags);
  const problems: string[] = [];
  settings.rules.forEach((rule, i) => {
    const valueProblem = ruleValueProblem(rule.type, rule.value);
    if (valueProblem) problems.push(`rules[${i}].value: ${valueProblem}`);
    if (!known.has(rule.outbound)) problems.push(`rules[${i}].outbound: unknown outbound "${rule.outbound}"`);
  });
  if (!known.has(settings.final)) problems.push(`final: unknown outbound "${settings.final}"`);
  if (!known.has(settings.globalOutbound)) problems.push(`globalOutbound: unknown outbound "${settings.globalOutbound}"`);
  return problems;
}

interface CompiledRule {
  type: Rule['type'];
  /** Normalised value for domain rules. */
  value: string;
  cidr?: Cidr;
  lo: number;
  hi: number;
  outbound: string;
  /** "domain_suffix(example.com)", as RouteDecision.rule reports it. */
  text: string;
}

function compileRules(rules: Rule[], log: Logger): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const rule of rules) {
    const c: CompiledRule = { type: rule.type, value: '', lo: 0, hi: -1, outbound: rule.outbound, text: `${rule.type}(${rule.value})` };
    try {
      switch (rule.type) {
        case 'domain':
        case 'domain_keyword':
          c.value = normalizeHost(rule.value);
          break;
        case 'domain_suffix':
          c.value = normalizeHost(rule.value.replace(/^\./, ''));
          break;
        case 'ip_cidr':
        case 'src_cidr':
          c.cidr = parseCidr(rule.value);
          break;
        case 'dst_port': {
          const [lo, hi = lo] = rule.value.split('-').map(Number);
          if (!(lo! >= 0 && hi! <= 65535 && lo! <= hi!)) throw new TypeError(`"${rule.value}" is not a port or range`);
          c.lo = lo!;
          c.hi = hi!;
          break;
        }
      }
    } catch (err) {
      // Settings are validated at the edge; a rule that still cannot compile is skipped, not fatal.
      log.warn(`rule ${c.text} ignored: ${(err as Error).message}`);
      continue;
    }
    out.push(c);
  }
  return out;
}

function normalizeHost(host: string): string {
  const h = host.charCodeAt(host.length - 1) === 46 ? host.slice(0, -1) : host;
  return h.toLowerCase();
}
