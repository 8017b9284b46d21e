import type { Socket } from 'node:net';
import { type NodePassSignal, SignalLineSplitter, decodeSignal, encodeSignal } from '../../codec/nodepass-signal';
import type { Logger } from '../../log/logger';

/** Options of a ControlChannel. */
export interface ControlOptions {
  key: string;
  log: Logger;
  /** Ping period; NodePass pings every 5 s. @default 5000 */
  pingMs?: number;
  /** Every decoded signal except ping/pong (answered here). */
  onSignal(signal: NodePassSignal): void;
  /** The channel is gone (peer closed, bad line, close()); called once. */
  onClose(reason: string): void;
}

/**
 * The control channel (pool connection 00000000): base64(JSON XOR key) lines both ways. Answers
 * `ping` with `pong` and pings the peer every `pingMs` (once at once), keeping the last round trip.
 */
export class ControlChannel {
  /** Last ping round trip in ms (0 until the first pong). */
  rtt = 0;
  private readonly splitter = new SignalLineSplitter();
  private readonly timer: NodeJS.Timeout;
  private pingSentAt = 0;
  private done = false;

  constructor(private readonly socket: Socket, private readonly opts: ControlOptions) {
    socket.setKeepAlive(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.close('control channel closed'));
    socket.on('end', () => this.close('control channel ended by the peer'));
    this.timer = setInterval(() => this.ping(), opts.pingMs ?? 5000);
    this.timer.unref();
    socket.resume();
    this.ping();
  }

  get closed(): boolean {
    return this.done;
  }

  send(signal: NodePassSignal): void {
    if (!this.done) this.socket.write(encodeSignal(signal, this.opts.key));
  }

  close(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.timer);
    this.socket.destroy();
    this.opts.onClose(reason);
  }

  private ping(): void {
    this.pingSentAt = performance.now();
    this.send({ action: 'ping' });
  }

  private onData(chunk: Buffer): void {
    const r = this.splitter.push(chunk);
    for (const line of r.lines) {
      const d = decodeSignal(line, this.opts.key);
      if (!d.ok) {
        this.close(`bad control line: ${d.error}`);
        return;
      }
      const s = d.signal;
      if (s.action === 'ping') this.send({ action: 'pong' });
      else if (s.action === 'pong') this.rtt = Math.round(performance.now() - this.pingSentAt);
      else this.opts.onSignal(s);
      if (this.done) return;
    }
    if (!r.ok) this.close(r.error);
  }
}
