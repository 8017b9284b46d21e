import type { InstanceRunner, StatsAccounting } from '../adapter';
import { normalizeInstanceUrl, parseInstanceUrl } from '../codec/nodepass-url';
import type { NodePassSpec, TunnelPoolStats, TunnelView } from '../rpc';
import type { CounterValue } from '../store/store';
import type { NodePassRunner } from '../tunnel/nodepass';

/** How often running tunnels report their figures (NodePass's CHECK_POINT period). */
export const CHECKPOINT_MS = 5000;

const IDLE_POOL: TunnelPoolStats = { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };

interface Traffic {
  /** up = tcprx (users → targets), down = tcptx. Persisted as "tunnel:<id>:tcp". */
  tcp: CounterValue;
  /** up = udprx, down = udptx. Persisted as "tunnel:<id>:udp". */
  udp: CounterValue;
}

interface Live {
  runner: NodePassRunner;
  /** The runner's cumulative UDP figures already folded into `udp`. */
  seenUdp: [rx: number, tx: number];
}

/**
 * Traffic and live figures of the engine's tunnel (nodepass) instances. TCP bytes come from the
 * stats collector's per-connection deltas (exact on the native splice path too); UDP bytes from
 * the runner's own counters, folded in at every checkpoint and at stop. Totals are persisted with
 * the collector's counters, so they survive restarts and a kill -9 (up to the last tick).
 */
export class TunnelBook {
  private readonly traffic = new Map<string, Traffic>();
  private readonly live = new Map<string, Live>();
  /** Byte listeners, kept from the first start until the instance is deleted: connections closed by a stop report their last bytes after it. */
  private readonly listening = new Map<string, () => void>();
  private readonly configs = new Map<string, { url: string; config: string; role: 'server' | 'client' }>();
  private timer: NodeJS.Timeout | null = null;

  /** @param checkpoint called for every running tunnel each CHECKPOINT_MS (the engine re-emits its view). */
  constructor(
    private readonly stats: StatsAccounting,
    private readonly checkpoint: (id: string) => void,
    private readonly checkpointMs = CHECKPOINT_MS,
  ) {
    for (const [scope, value] of stats.loadCounters('tunnel:')) {
      const [, id, kind] = scope.split(':');
      if (id && (kind === 'tcp' || kind === 'udp')) this.trafficOf(id)[kind] = value;
    }
  }

  start(): void {
    this.timer ??= setInterval(() => {
      for (const id of this.live.keys()) {
        this.foldUdp(id);
        this.checkpoint(id);
      }
    }, this.checkpointMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const id of [...this.live.keys()]) this.detach(id);
    for (const off of this.listening.values()) off();
    this.listening.clear();
  }

  /** A tunnel instance's runner is running. */
  attach(id: string, runner: InstanceRunner): void {
    this.detach(id);
    if (!this.listening.has(id)) {
      this.listening.set(id, this.stats.onInstanceBytes(id, (conn, up, down) => {
        if (conn.meta.network !== 'tcp' || (up === 0 && down === 0)) return;
        const t = this.trafficOf(id);
        t.tcp.up += up;
        t.tcp.down += down;
        this.stats.saveCounter(`tunnel:${id}:tcp`, t.tcp);
      }));
    }
    this.live.set(id, { runner: runner as NodePassRunner, seenUdp: [0, 0] });
  }

  /** Its runner stopped: takes the last UDP figures (TCP ones arrive as the connections close). */
  detach(id: string): void {
    if (!this.live.has(id)) return;
    this.foldUdp(id);
    this.live.delete(id);
  }

  /** The figures shown for an instance with this spec. */
  view(id: string, spec: NodePassSpec): TunnelView {
    const l = this.live.get(id);
    if (l) this.foldUdp(id);
    const t = this.trafficOf(id);
    const m = l?.runner.metrics();
    const { role, config } = this.configOf(id, spec.url);
    return {
      role, config, mode: m?.mode ?? 0, ping: m?.ping ?? 0, pool: m?.pool ?? 0, tcps: m?.tcps ?? 0, udps: m?.udps ?? 0,
      tcprx: t.tcp.up, tcptx: t.tcp.down, udprx: t.udp.up, udptx: t.udp.down,
      poolStats: l?.runner.poolStats() ?? IDLE_POOL,
    };
  }

  /** Pool figures summed over the running tunnels. */
  poolTotals(): TunnelPoolStats {
    const sum = { ...IDLE_POOL };
    for (const l of this.live.values()) {
      const p = l.runner.poolStats();
      sum.created += p.created;
      sum.reused += p.reused;
      sum.idle += p.idle;
      sum.hits += p.hits;
      sum.misses += p.misses;
    }
    return sum;
  }

  /** Zeroes one instance's counters (NodePass action "reset"); persisted with the next tick. */
  reset(id: string): void {
    const l = this.live.get(id);
    if (l) this.foldUdp(id);
    const t = this.trafficOf(id);
    for (const [kind, c] of [['tcp', t.tcp], ['udp', t.udp]] as const) {
      c.up = 0;
      c.down = 0;
      this.stats.saveCounter(`tunnel:${id}:${kind}`, c);
    }
  }

  /** After the engine-wide resetCounters (which cleared the stored values). */
  resetAll(): void {
    for (const id of this.traffic.keys()) this.reset(id);
  }

  /** A deleted instance: its stored counters are zeroed, so a later instance with the id starts clean. */
  forget(id: string): void {
    this.detach(id);
    this.listening.get(id)?.();
    this.listening.delete(id);
    this.reset(id);
    this.traffic.delete(id);
    this.configs.delete(id);
  }

  private foldUdp(id: string): void {
    const l = this.live.get(id)!;
    const m = l.runner.metrics();
    const drx = m.udprx - l.seenUdp[0];
    const dtx = m.udptx - l.seenUdp[1];
    if (drx <= 0 && dtx <= 0) return;
    const t = this.trafficOf(id);
    t.udp.up += Math.max(0, drx);
    t.udp.down += Math.max(0, dtx);
    l.seenUdp = [m.udprx, m.udptx];
    this.stats.saveCounter(`tunnel:${id}:udp`, t.udp);
  }

  private trafficOf(id: string): Traffic {
    let t = this.traffic.get(id);
    if (!t) this.traffic.set(id, (t = { tcp: { up: 0, down: 0 }, udp: { up: 0, down: 0 } }));
    return t;
  }

  private configOf(id: string, url: string): { role: 'server' | 'client'; config: string } {
    const cached = this.configs.get(id);
    if (cached?.url === url) return cached;
    const parsed = parseInstanceUrl(url);
    const entry = parsed.ok
      ? { url, role: parsed.url.role, config: normalizeInstanceUrl(parsed.url, { log: 'info' }) }
      : { url, role: url.startsWith('server') ? 'server' as const : 'client' as const, config: url };
    this.configs.set(id, entry);
    return entry;
  }
}
