import type { TunnelMetrics } from './types';

/**
 * Session and byte counters of one tunnel instance, and its `slot` admission. Byte figures come
 * from socket counters when a session ends (and live for the JS-throttled path); a session handed to
 * the relay's native splice counts only what moved through Node before the handover, so for
 * exact per-instance TCP bytes use the stats collector's figures for the instance id.
 */
export class TunnelCounters {
  mode = 0;
  ping = 0;
  tcps = 0;
  udps = 0;
  tcprx = 0;
  tcptx = 0;
  udprx = 0;
  udptx = 0;

  /** @param slot max concurrent TCP+UDP sessions; 0 = unlimited (as NodePass). */
  constructor(private readonly slot: number) {}

  /** Admits one more session of `kind`, or answers false when every slot is taken. */
  admit(kind: 'tcp' | 'udp'): boolean {
    if (this.slot > 0 && this.tcps + this.udps >= this.slot) return false;
    if (kind === 'tcp') this.tcps++;
    else this.udps++;
    return true;
  }

  release(kind: 'tcp' | 'udp'): void {
    if (kind === 'tcp') this.tcps = Math.max(0, this.tcps - 1);
    else this.udps = Math.max(0, this.udps - 1);
  }

  snapshot(pool: number): TunnelMetrics {
    const { mode, ping, tcps, udps, tcprx, tcptx, udprx, udptx } = this;
    return { mode, ping, pool, tcps, udps, tcprx, tcptx, udprx, udptx };
  }
}
