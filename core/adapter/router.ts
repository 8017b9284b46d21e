import type { ConnMeta } from './conn';
import type { Outbound } from './outbound';

export interface RouteDecision {
  outbound: Outbound;
  /** Human-readable rule that matched: "domain_suffix(example.com)", "final", "mode(direct)", "lan". */
  rule: string;
}

/** Picks the outbound for a connection. May resolve a domain when an IP rule needs it. */
export interface Router {
  route(meta: ConnMeta): Promise<RouteDecision>;
}
