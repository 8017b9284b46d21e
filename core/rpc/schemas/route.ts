import { z } from 'zod';

export const RouteMode = z.enum(['global', 'rule', 'direct']);
export type RouteMode = z.infer<typeof RouteMode>;

/** An outbound tag: a builtin ("direct", "block") or a saved outbound profile's id. */
export const OutboundTag = z.string().min(1).max(64);

export const RuleType = z.enum([
  'domain', 'domain_suffix', 'domain_keyword', 'ip_cidr', 'src_cidr', 'dst_port',
]);
export type RuleType = z.infer<typeof RuleType>;

/**
 * One routing rule; the first match wins. `value`: a domain for domain rules, "a.b.c.d/n" or
 * "v6/n" for CIDR rules, "443" or "8000-9000" for dst_port.
 */
export const Rule = z.object({
  type: RuleType,
  value: z.string().trim().min(1).max(253),
  outbound: OutboundTag,
}).superRefine((rule, ctx) => {
  const problem = ruleValueProblem(rule.type, rule.value);
  if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
});
export type Rule = z.infer<typeof Rule>;

export const RouteSettings = z.object({
  /** global: everything to `globalOutbound`; rule: first matching rule, else `final`; direct: all direct. @default "rule" */
  mode: RouteMode.default('rule'),
  /** @default [] */
  rules: z.array(Rule).default([]),
  /** Outbound for traffic no rule matched (rule mode). @default "direct" */
  final: OutboundTag.default('direct'),
  /** Outbound for everything in global mode. @default "direct" */
  globalOutbound: OutboundTag.default('direct'),
  /** Private, loopback and link-local destinations go direct in global and rule modes. @default true */
  lanBypass: z.boolean().default(true),
});
export type RouteSettings = z.infer<typeof RouteSettings>;

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/;

/** Checks a rule value for its type; returns a message naming the problem, or null. */
export function ruleValueProblem(type: RuleType, value: string): string | null {
  switch (type) {
    case 'domain':
    case 'domain_suffix':
      return DOMAIN.test(value.replace(/^\./, '')) ? null : `"${value}" is not a domain name`;
    case 'domain_keyword':
      return /\s/.test(value) ? 'a keyword cannot contain spaces' : null;
    case 'ip_cidr':
    case 'src_cidr': {
      const [ip, bits, extra] = value.split('/');
      if (extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return `"${value}" is not a CIDR (expected address/prefix)`;
      const n = Number(bits);
      if (V4.test(ip)) return n <= 32 ? null : 'IPv4 prefix length must be 0..32';
      if (/^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':')) return n <= 128 ? null : 'IPv6 prefix length must be 0..128';
      return `"${ip}" is not an IP address`;
    }
    case 'dst_port': {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
      if (!m) return 'expected a port or a range "from-to"';
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      return lo <= hi && hi <= 65535 ? null : 'ports must be 0..65535 with from <= to';
    }
  }
}
