import type { ConnMeta, StatsSink, TrackedConn } from '../adapter';

let seq = 0;

/**
 * A TrackedConn whose byte counters the test advances by hand: the real interface the relay
 * implements, with the relay's close behaviour (closing reports `closed` to the sink once).
 */
export class FakeConn implements TrackedConn {
  readonly meta: ConnMeta;
  readonly rule = 'final';
  readonly startedAt: number;
  up = 0;
  down = 0;
  closeReason: string | null = null;
  samples = 0;

  constructor(private readonly sink: StatsSink, opts: { instanceId: string; outbound?: string; id?: string; startedAt?: number }, readonly outbound = opts.outbound ?? 'direct') {
    this.meta = {
      id: opts.id ?? `c${++seq}`, instanceId: opts.instanceId, inbound: 'socks5', network: 'tcp',
      source: { address: '127.0.0.1', port: 50000 + (seq % 10000) }, destination: { host: 'example.com', port: 443 }, user: null,
    };
    this.startedAt = opts.startedAt ?? 0;
  }

  /** Reports the connection to the sink as the relay does when it starts moving bytes. */
  open(): this {
    this.sink.opened(this);
    return this;
  }

  move(up: number, down: number): this {
    this.up += up;
    this.down += down;
    return this;
  }

  sample(): [up: number, down: number] {
    this.samples++;
    return [this.up, this.down];
  }

  close(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    this.sink.closed(this);
  }
}
