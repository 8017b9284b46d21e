import type { Relay, TunnelPoolFigures, UdpAssociation } from '../../../adapter';

/** The document's `connection_pool` object. */
export interface ConnectionPoolStats {
  total_created: number;
  total_reused: number;
  total_closed: number;
  current_active: number;
  current_idle: number;
  cache_hits: number;
  cache_misses: number;
  hit_rate: number;
}

/**
 * Connection figures of one relay in the document's connection_pool shape. Our relay keeps no
 * pool: every admitted client gets a freshly dialed destination (TCP) or UDP association, so
 * total_created = connections handed to the relay since start, total_closed = those that ended,
 * current_active = the difference, and nothing is ever idle or reused (current_idle,
 * total_reused, cache_hits 0; every connection is a cache miss; hit_rate = hits/(hits+misses)×100
 * as VLESS-Rust computes it, 0.0 when none). Counted by wrapping ctx.relay (once per connection,
 * never per chunk).
 */
export class ConnectionCounter {
  private created = 0;
  private ended = 0;

  /** @param tunnels the engine's tunnel pools, added to the figures (their connections are pooled and reused). */
  constructor(private readonly tunnels?: () => TunnelPoolFigures) {}

  /** `relay` with tcp() and udp() counted. */
  wrap(relay: Relay): Relay {
    return {
      tcp: (meta, decision, client, remote, opts, head) => {
        this.created++;
        let done = false;
        const end = () => {
          if (done) return;
          done = true;
          this.ended++;
        };
        client.once('close', end);
        relay.tcp(meta, decision, client, remote, opts, head);
      },
      track: (meta, decision, remote) => relay.track(meta, decision, remote),
      adopt: (meta, decision, conn) => {
        this.created++;
        const finish = relay.adopt(meta, decision, conn);
        let done = false;
        return (final) => {
          if (!done) this.ended++;
          done = true;
          finish(final);
        };
      },
      udp: (meta, onReply, opts) => {
        this.created++;
        const inner = relay.udp(meta, onReply, opts);
        let done = false;
        const assoc: UdpAssociation = {
          send: (payload, to) => inner.send(payload, to),
          close: () => {
            if (!done) {
              done = true;
              this.ended++;
            }
            inner.close();
          },
        };
        return assoc;
      },
    };
  }

  stats(): ConnectionPoolStats {
    const t = this.tunnels?.() ?? { created: 0, reused: 0, idle: 0, hits: 0, misses: 0 };
    const hits = t.hits;
    const misses = this.created + t.misses;
    return {
      total_created: this.created + t.created, total_reused: t.reused, total_closed: this.ended,
      current_active: this.created - this.ended, current_idle: t.idle,
      cache_hits: hits, cache_misses: misses, hit_rate: hits + misses === 0 ? 0 : (hits / (hits + misses)) * 100,
    };
  }
}

/** One of the document's memory_pool entries. */
export interface MemoryPoolEntry {
  buffer_size: number;
  current_size: number;
  peak_size: number;
  total_allocated: number;
  total_returned: number;
}

/** The document's `memory_pool` object. */
export interface MemoryPoolStats {
  small_pool: MemoryPoolEntry;
  medium_pool: MemoryPoolEntry;
  large_pool: MemoryPoolEntry;
}

/** What one region measures, from process.memoryUsage(). */
type Region = (m: NodeJS.MemoryUsage) => number;

/**
 * Node has no buffer pools like VLESS-Rust's 4/64/128 KB ones; the figures are this process's
 * real memory regions expressed in the document's units (blocks of the pool's buffer_size):
 * - small_pool (4 KB blocks): the V8 JavaScript heap in use (heapUsed);
 * - medium_pool (64 KB blocks): native memory held for JS objects other than buffers
 *   (external − arrayBuffers);
 * - large_pool (128 KB blocks): Buffer/ArrayBuffer backing stores (arrayBuffers): the socket
 *   read and write buffers of the relay live here.
 * current_size = ceil(bytes / buffer_size) now; peak_size = the highest seen since the monitor
 * started; total_allocated / total_returned = the sums of increases / decreases of current_size
 * between samples (one sample per stats snapshot), so allocated − returned = current − first.
 */
export class MemoryPools {
  private readonly entries: { region: Region; e: MemoryPoolEntry }[] = [
    { region: (m) => m.heapUsed, e: entry(4096) },
    { region: (m) => Math.max(0, m.external - m.arrayBuffers), e: entry(65536) },
    { region: (m) => m.arrayBuffers, e: entry(131072) },
  ];
  private sampled = false;

  /** Takes a sample of process.memoryUsage(). */
  sample(m: NodeJS.MemoryUsage = process.memoryUsage()): void {
    for (const { region, e } of this.entries) {
      const n = Math.ceil(region(m) / e.buffer_size);
      if (this.sampled) {
        if (n > e.current_size) e.total_allocated += n - e.current_size;
        else e.total_returned += e.current_size - n;
      }
      e.current_size = n;
      if (n > e.peak_size) e.peak_size = n;
    }
    this.sampled = true;
  }

  stats(): MemoryPoolStats {
    const [s, m, l] = this.entries.map(({ e }) => ({ ...e }));
    return { small_pool: s!, medium_pool: m!, large_pool: l! };
  }
}

function entry(size: number): MemoryPoolEntry {
  return { buffer_size: size, current_size: 0, peak_size: 0, total_allocated: 0, total_returned: 0 };
}
