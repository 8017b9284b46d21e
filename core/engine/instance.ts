import type { InstanceContext, InstanceRunner } from '../adapter';
import { listenError } from '../common/listen-error';
import type { Logger } from '../log/logger';
import { CoreError, EMPTY_META, toCoreError, type Instance, type InstanceMeta, type InstanceSpec, type InstanceState, type TunnelView } from '../rpc';
import type { StoredInstance } from '../store/store';

/** Builds the runner for a spec (engine/builtin.ts). */
export type RunnerFactory = (spec: InstanceSpec, ctx: InstanceContext) => InstanceRunner;

export interface InstanceHooks {
  factory: RunnerFactory;
  context(id: string): InstanceContext;
  /** Called on every change of the public view (state, name, spec, error). */
  changed(view: Instance): void;
  /** Close the live connections of this instance (on stop). */
  closeConnections(id: string): void;
  /** The runner started (runner) or stopped (null). */
  running(id: string, runner: InstanceRunner | null): void;
  /** Live tunnel figures for the view; null for other types. */
  tunnel(id: string, spec: InstanceSpec): TunnelView | null;
  /** Whether a failed start is retried with backoff (tunnels, as NodePass retries instances in error). */
  retries(spec: InstanceSpec): boolean;
  log: Logger;
}

/** First retry delay after a failed start, doubled per failure up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 60_000;

/**
 * One instance and its state machine:
 * stopped|failed → starting → running | failed;  running → stopping → stopped.
 * Operations are serialized: start/stop/restart queue behind the one in progress, so the UI
 * can click freely; start on a running instance and stop on a stopped one are no-ops.
 */
export class InstanceController {
  private state: InstanceState = 'stopped';
  private error: { code: string; message: string } | null = null;
  private runner: InstanceRunner | null = null;
  private startedAt: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_FIRST_MS;

  constructor(public record: StoredInstance, private readonly hooks: InstanceHooks) {}

  get id(): string { return this.record.id; }
  get spec(): InstanceSpec { return this.record.spec as InstanceSpec; }
  get running(): boolean { return this.state === 'running'; }

  view(): Instance {
    const r = this.record;
    return {
      id: r.id, name: r.name, autoStart: r.autoStart, spec: this.spec, state: this.state,
      error: this.error, address: this.runner?.address() ?? null, startedAt: this.startedAt,
      meta: (r.meta ?? EMPTY_META) as InstanceMeta, tunnel: this.hooks.tunnel(r.id, this.spec),
      createdAt: r.createdAt, updatedAt: r.updatedAt,
    };
  }

  start(): Promise<Instance> {
    this.cancelRetry();
    return this.serialize(() => this.doStart());
  }

  stop(): Promise<Instance> {
    this.cancelRetry();
    return this.serialize(() => this.doStop());
  }

  restart(): Promise<Instance> {
    this.cancelRetry();
    return this.serialize(async () => { await this.doStop(); return this.doStart(); });
  }

  /** Replaces the record (name, autoStart, spec); a running instance restarts when the spec changed. */
  update(record: StoredInstance, specChanged: boolean): Promise<Instance> {
    if (specChanged) this.cancelRetry();
    return this.serialize(async () => {
      // A failed instance is started again too: the new spec may be the fix.
      const rerun = specChanged && (this.state === 'running' || this.state === 'failed');
      if (rerun) await this.doStop();
      this.record = record;
      if (rerun) return this.doStart();
      this.hooks.changed(this.view());
      return this.view();
    });
  }

  /**
   * Changes the record without a restart, queued behind any start/stop in progress: `build` gets
   * the current record and the live runner (null unless running), applies the change to the
   * runner itself and returns the new record (throwing leaves everything as it was).
   */
  replaceSpecLive(build: (current: StoredInstance, runner: InstanceRunner | null) => StoredInstance): Promise<Instance> {
    return this.serialize(async () => {
      this.record = build(this.record, this.state === 'running' ? this.runner : null);
      this.hooks.changed(this.view());
      return this.view();
    });
  }

  /** The runner while the instance is running, else null. */
  get liveRunner(): InstanceRunner | null { return this.state === 'running' ? this.runner : null; }

  /** Queues another start after the current backoff (a user's start or stop cancels it). */
  private scheduleRetry(): void {
    if (!this.hooks.retries(this.spec) || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.hooks.log.info(`instance "${this.record.name}" retries in ${delay / 1000} s`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.serialize(() => (this.state === 'failed' ? this.doStart() : Promise.resolve(this.view())));
    }, delay);
    this.retryTimer.unref();
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryMs = RETRY_FIRST_MS;
  }

  private serialize(op: () => Promise<Instance>): Promise<Instance> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private setState(state: InstanceState): void {
    this.state = state;
    this.hooks.changed(this.view());
  }

  private async doStart(): Promise<Instance> {
    if (this.state === 'running') return this.view();
    const log = this.hooks.log;
    this.error = null;
    this.setState('starting');
    let runner: InstanceRunner | null = null;
    try {
      runner = this.hooks.factory(this.spec, this.hooks.context(this.id));
      await runner.start();
    } catch (err) {
      const listen = 'listen' in this.spec ? this.spec.listen : this.record.name;
      const e = isErrno(err) ? listenError(err, listen) : toCoreError(err);
      if (runner) await runner.close().catch(() => undefined);
      this.runner = null;
      this.error = { code: e.code, message: e.message };
      log.error(`instance "${this.record.name}" failed to start: ${e.message}`);
      this.setState('failed');
      this.scheduleRetry();
      return this.view();
    }
    this.runner = runner;
    this.retryMs = RETRY_FIRST_MS;
    this.hooks.running(this.id, runner);
    this.startedAt = Date.now();
    log.info(`instance "${this.record.name}" running on ${runner.address() ?? '-'}`);
    this.setState('running');
    return this.view();
  }

  private async doStop(): Promise<Instance> {
    if (this.state === 'stopped' || this.state === 'failed') {
      if (this.state === 'failed') { this.error = null; this.setState('stopped'); }
      return this.view();
    }
    this.setState('stopping');
    const runner = this.runner;
    this.runner = null;
    try {
      await runner?.close();
    } catch (err) {
      this.hooks.log.warn(`instance "${this.record.name}" did not close cleanly: ${(err as Error).message}`);
    }
    this.hooks.closeConnections(this.id);
    this.hooks.running(this.id, null);
    this.startedAt = null;
    this.hooks.log.info(`instance "${this.record.name}" stopped`);
    this.setState('stopped');
    return this.view();
  }
}

function isErrno(err: unknown): boolean {
  return !(err instanceof CoreError) && typeof (err as NodeJS.ErrnoException)?.code === 'string';
}
