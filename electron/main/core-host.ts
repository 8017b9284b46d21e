import type { Disposable, MessageChannelFactory, MessagePortLike, UtilityChild, UtilityProcessFactory } from './api-types';

/** A standing request for MessagePorts to one consumer (a window, main's own client). */
export interface PortLease {
  /** Hands a fresh port now (if the provider is up) and again after every provider restart. */
  issue(): void;
  /** No more ports. */
  dispose(): void;
}

/** Gives out MessagePorts to a service: the engine (CoreHost) or the shell (DesktopService). */
export interface PortBroker {
  attach(deliver: (port: MessagePortLike) => void): PortLease;
}

/**
 * - `starting`: forked, engine not yet open.
 * - `running`: the engine answered `ready`.
 * - `waiting`: the child died or hung; a restart is scheduled (`nextRestartMs`).
 * - `closing` / `closed`: shutting down on quit.
 */
export type CoreHostState = 'idle' | 'starting' | 'running' | 'waiting' | 'closing' | 'closed';

export interface CoreHostStatus {
  state: CoreHostState;
  /** Restarts so far (crashes and hangs). */
  restarts: number;
  /** Delay of the scheduled restart while `waiting`. */
  nextRestartMs?: number;
  /** Why the last child ended, or the engine's fatal error ("E_STORE_LOCKED: …"). */
  lastError?: string;
}

export interface CoreHostOptions {
  processes: UtilityProcessFactory;
  channels: MessageChannelFactory;
  /** The bundled utility-process entry (dist/core-main.js). */
  modulePath: string;
  /** The engine's data dir, sent in `init`. */
  dataDir: string;
  /** @default 5000 */
  pingIntervalMs?: number;
  /** Unanswered pings in a row before the child is killed and restarted. @default 3 */
  maxMissedPings?: number;
  /** First restart delay, doubled each time. @default 1000 */
  initialBackoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
  /** A child that stays up this long resets the backoff to `initialBackoffMs`. @default 60000 */
  stableAfterMs?: number;
  /** How long `close()` waits for a clean exit before killing. @default 5000 */
  shutdownTimeoutMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Lease { deliver: (port: MessagePortLike) => void; issued: boolean }

/**
 * Runs the engine in a utility process (core/main.ts) and keeps it alive: health pings, restarts
 * with exponential backoff, and one MessagePort pair per consumer, handed out again after every
 * restart. Main only brokers ports; no engine traffic passes through it.
 */
export class CoreHost implements PortBroker {
  private readonly o: Required<Omit<CoreHostOptions, 'log'>> & Pick<CoreHostOptions, 'log'>;
  private readonly leases = new Set<Lease>();
  private readonly listeners = new Set<(s: CoreHostStatus) => void>();
  private child: UtilityChild | null = null;
  private spawned = false;
  private outbox: Array<[unknown, MessagePortLike[]]> = [];
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private pingSeq = 0;
  private awaitingPong = false;
  private missed = 0;
  private attempts = 0;
  private current: CoreHostStatus = { state: 'idle', restarts: 0 };
  private exited: (() => void) | null = null;
  /** The current child's `fatal` report, if any. */
  private fatal: string | undefined;

  constructor(options: CoreHostOptions) {
    this.o = {
      pingIntervalMs: 5000, maxMissedPings: 3, initialBackoffMs: 1000, maxBackoffMs: 30_000,
      stableAfterMs: 60_000, shutdownTimeoutMs: 5000, ...options,
    };
  }

  get status(): CoreHostStatus { return this.current; }

  onStatus(listener: (s: CoreHostStatus) => void): Disposable {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Forks the engine. */
  start(): void {
    if (this.current.state !== 'idle') return;
    this.spawn();
  }

  attach(deliver: (port: MessagePortLike) => void): PortLease {
    const lease: Lease = { deliver, issued: false };
    this.leases.add(lease);
    return {
      issue: () => {
        if (!this.leases.has(lease)) return;
        lease.issued = true;
        this.hand(lease);
      },
      dispose: () => { this.leases.delete(lease); },
    };
  }

  /** Asks the engine to close (stopping instances, flushing the store); kills it if it takes too long. */
  async close(): Promise<void> {
    if (this.current.state === 'closing' || this.current.state === 'closed') return;
    clearTimeout(this.restartTimer);
    this.leases.clear();
    const child = this.child;
    if (!child) { this.setStatus({ state: 'closed' }); return; }
    this.setStatus({ state: 'closing' });
    this.stopTimers();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.o.log?.('warn', `engine did not exit within ${this.o.shutdownTimeoutMs} ms; killing it`);
        child.kill();
        resolve();
      }, this.o.shutdownTimeoutMs);
      this.exited = () => { clearTimeout(timer); resolve(); };
      this.send({ type: 'shutdown' });
    });
    this.exited = null;
    this.child = null;
    this.setStatus({ state: 'closed' });
  }

  private spawn(): void {
    this.setStatus({ state: 'starting', nextRestartMs: undefined });
    const child = this.o.processes.fork(this.o.modulePath, [], { serviceName: 'RelayDesk Engine' });
    this.child = child;
    this.spawned = false;
    this.outbox = [];
    this.awaitingPong = false;
    this.missed = 0;
    this.fatal = undefined;
    child.on('spawn', () => {
      if (this.child !== child) return;
      this.spawned = true;
      for (const [m, t] of this.outbox.splice(0)) child.postMessage(m, t);
    });
    child.on('message', (m: unknown) => { if (this.child === child) this.childOnMessage(m); });
    child.on('exit', (code: number) => this.childOnExit(child, code));
    this.send({ type: 'init', dataDir: this.o.dataDir });
    for (const lease of this.leases) if (lease.issued) this.hand(lease);
    this.pingTimer = setInterval(() => this.ping(), this.o.pingIntervalMs);
    this.stableTimer = setTimeout(() => { this.attempts = 0; }, this.o.stableAfterMs);
  }

  private hand(lease: Lease): void {
    if (!this.child || this.current.state === 'closing') return;
    const { port1, port2 } = this.o.channels.create();
    this.send({ type: 'port' }, [port1]);
    lease.deliver(port2);
  }

  // Electron queues nothing before 'spawn'; keep messages (and ports) until the child is up.
  private send(message: unknown, transfer: MessagePortLike[] = []): void {
    if (!this.child) return;
    if (this.spawned) this.child.postMessage(message, transfer);
    else this.outbox.push([message, transfer]);
  }

  private ping(): void {
    if (this.awaitingPong) this.missed++;
    if (this.missed >= this.o.maxMissedPings) {
      const child = this.child;
      this.o.log?.('warn', `engine missed ${this.missed} health pings; restarting it`);
      this.detach();
      child?.kill();
      this.scheduleRestart('engine stopped answering health pings');
      return;
    }
    this.awaitingPong = true;
    this.send({ type: 'ping', n: ++this.pingSeq });
  }

  private childOnMessage(m: unknown): void {
    const msg = m as { type?: string; code?: string; message?: string } | null;
    switch (msg?.type) {
      case 'pong':
        this.awaitingPong = false;
        this.missed = 0;
        return;
      case 'ready':
        this.setStatus({ state: 'running', lastError: undefined });
        return;
      case 'fatal':
        this.fatal = `${msg.code}: ${msg.message}`;
        this.setStatus({ lastError: this.fatal });
        this.o.log?.('error', `engine failed to start: ${msg.code}: ${msg.message}`);
        return;
    }
  }

  private childOnExit(child: UtilityChild, code: number): void {
    if (this.child !== child) return;
    this.detach();
    if (this.exited) { this.exited(); return; }
    const why = `engine exited with code ${code}`;
    this.o.log?.('warn', why);
    this.scheduleRestart(this.fatal ?? why);
  }

  private scheduleRestart(reason: string): void {
    const delay = Math.min(this.o.initialBackoffMs * 2 ** this.attempts, this.o.maxBackoffMs);
    this.attempts++;
    this.setStatus({ state: 'waiting', restarts: this.current.restarts + 1, nextRestartMs: delay, lastError: reason });
    this.restartTimer = setTimeout(() => this.spawn(), delay);
  }

  /** Forgets the current child (its late events are ignored) and stops its timers. */
  private detach(): void {
    this.child = null;
    this.stopTimers();
  }

  private stopTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.stableTimer);
  }

  private setStatus(patch: Partial<CoreHostStatus>): void {
    this.current = { ...this.current, ...patch };
    for (const l of this.listeners) l(this.current);
  }
}
