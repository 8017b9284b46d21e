import type { InstanceContext, InstanceRunner } from '../adapter';
import { listenError } from '../common/listen-error';
import type { Logger } from '../log/logger';
import { CoreError, toCoreError, type Instance, type InstanceSpec, type InstanceState } from '../rpc';
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
  log: Logger;
}

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

  constructor(public record: StoredInstance, private readonly hooks: InstanceHooks) {}

  get id(): string { return this.record.id; }
  get spec(): InstanceSpec { return this.record.spec as InstanceSpec; }
  get running(): boolean { return this.state === 'running'; }

  view(): Instance {
    const r = this.record;
    return {
      id: r.id, name: r.name, autoStart: r.autoStart, spec: this.spec, state: this.state,
      error: this.error, address: this.runner?.address() ?? null, startedAt: this.startedAt,
      createdAt: r.createdAt, updatedAt: r.updatedAt,
    };
  }

  start(): Promise<Instance> { return this.serialize(() => this.doStart()); }
  stop(): Promise<Instance> { return this.serialize(() => this.doStop()); }
  restart(): Promise<Instance> { return this.serialize(async () => { await this.doStop(); return this.doStart(); }); }

  /** Replaces the record (name, autoStart, spec); a running instance restarts when the spec changed. */
  update(record: StoredInstance, specChanged: boolean): Promise<Instance> {
    return this.serialize(async () => {
      const wasRunning = this.state === 'running';
      if (specChanged && wasRunning) await this.doStop();
      this.record = record;
      if (specChanged && wasRunning) return this.doStart();
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
      return this.view();
    }
    this.runner = runner;
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
    this.startedAt = null;
    this.hooks.log.info(`instance "${this.record.name}" stopped`);
    this.setState('stopped');
    return this.view();
  }
}

function isErrno(err: unknown): boolean {
  return !(err instanceof CoreError) && typeof (err as NodeJS.ErrnoException)?.code === 'string';
}
