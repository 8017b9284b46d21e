import type { Socket } from 'node:net';
import type { ConnMeta, Destination, Outbound, RouteDecision } from '../../adapter';
import type { NodePassEndpoint } from '../../codec/nodepass-url';
import { createDirectOutbound } from '../../outbound/direct';
import type { Logger } from '../../log/logger';
import { CoreError } from '../../rpc';

/**
 * The target list of a tunnel end: round-robin over the targets, failing over to the next one on a
 * dial error until each was tried once. Tunnels dial their targets directly (no routing rules):
 * every session gets the same RouteDecision {direct outbound, rule "tunnel"}.
 */
export class TargetDialer {
  readonly decision: RouteDecision;
  private next = 0;

  constructor(private readonly targets: readonly NodePassEndpoint[], log: Logger, connectTimeoutMs = 10_000) {
    if (targets.length === 0) throw new CoreError('E_CONFIG_INVALID', 'tunnel has no target');
    const outbound: Outbound = createDirectOutbound({ connectTimeoutMs, log });
    this.decision = { outbound, rule: 'tunnel' };
  }

  /** The target the next session starts with (advances the round-robin). */
  pick(): Destination {
    const t = this.targets[this.next % this.targets.length]!;
    this.next = (this.next + 1) % this.targets.length;
    return { host: t.host || '127.0.0.1', port: t.port };
  }

  /**
   * Dials a target for `meta` (its destination is overwritten with the target that answered).
   * Rejects with the last dial error when every target failed.
   */
  async dialTcp(meta: ConnMeta, signal?: AbortSignal): Promise<Socket> {
    let last: unknown;
    for (let i = 0; i < this.targets.length; i++) {
      meta.destination = this.pick();
      try {
        return await this.decision.outbound.dialTcp(meta, signal);
      } catch (err) {
        last = err;
        if (signal?.aborted) break;
      }
    }
    throw last;
  }

  close(): void {
    this.decision.outbound.close?.();
  }
}

/** `ip:port` / `[v6]:port` of a signal's `remote` (port 0 when unparsable). */
export function parseRemote(remote: string): { address: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(remote);
  return m ? { address: m[1]!, port: Number(m[2]) } : { address: remote, port: 0 };
}
