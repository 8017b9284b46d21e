import type { ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger';
import type { Disposable, Instance, LogEntry, Settings } from '../../rpc';
import type { EngineLike } from '../rpc-route';
import { goLogLine, goMarshal, goTime } from './go-compat';
import { isNodePass, keyInstance, toNpInstance } from './model';
import type { InstanceEvent, NpInstance } from './schemas';

/** The SSE side of the master API (`GET /events`), fed by the engine's events. */
export interface NpEventHubOptions {
  engine: EngineLike;
  log: Logger;
  /** Frames queued per subscriber while its socket is backed up; more are dropped (NodePass: 10). @default 10 */
  bufferSize?: number;
}

type EventType = InstanceEvent['type'];

/**
 * Keeps the last NodePass view of every tunnel instance (so `delete` carries the last state) and
 * fans events out to the SSE subscribers: `create` the first time an instance is seen, `update`
 * after, `delete` on removal, `log` for entries from `instance:<id>`, and on an API key change an
 * `update` of `********` followed by `shutdown` and the end of every stream.
 */
export class NpEventHub {
  private readonly views = new Map<string, NpInstance>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly detach: Disposable[];
  private lastKey: string | null;
  private closed = false;

  private constructor(private readonly opts: NpEventHubOptions, instances: Instance[], settings: Settings) {
    for (const v of instances) if (isNodePass(v)) this.views.set(v.id, toNpInstance(v));
    this.lastKey = settings.masterApi.key;
    const { engine } = opts;
    this.detach = [
      engine.on('instance', (v) => this.engineOnInstance(v)),
      engine.on('instanceRemoved', ({ id }) => this.engineOnRemoved(id)),
      engine.on('log', (e) => this.engineOnLog(e)),
      engine.on('settings', (s) => this.engineOnSettings(s)),
    ];
  }

  static async create(opts: NpEventHubOptions): Promise<NpEventHub> {
    const [instances, settings] = await Promise.all([opts.engine.listInstances(undefined), opts.engine.getSettings(undefined)]);
    return new NpEventHub(opts, instances, settings);
  }

  /** The last view of a tunnel instance seen through events (undefined when unknown). */
  lastView(id: string): NpInstance | undefined {
    return this.views.get(id);
  }

  /**
   * Takes over `res`: `retry: 3000`, one `initial` frame per entry of `initial`, then live frames
   * until the client leaves, the key changes or close().
   */
  subscribe(res: ServerResponse, headers: Record<string, string>, initial: NpInstance[]): void {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'Access-Control-Allow-Origin': '*' });
    if (this.closed) {
      res.end(frame('shutdown', null));
      return;
    }
    res.write('retry: 3000\n\n');
    for (const inst of initial) res.write(frame('initial', inst));
    const sub = new Subscriber(res, this.opts.bufferSize ?? 10, () => this.subscribers.delete(sub));
    this.subscribers.add(sub);
  }

  /** Sends `shutdown` to every stream and ends it (API key regenerated). */
  shutdownAll(): void {
    const last = frame('shutdown', null);
    for (const sub of [...this.subscribers]) sub.end(last);
    this.subscribers.clear();
  }

  /** Ends every stream with `shutdown` and stops listening to the engine. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.detach) d();
    this.shutdownAll();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private broadcast(type: EventType, instance: NpInstance | null, logs = ''): void {
    if (this.subscribers.size === 0) return;
    const text = frame(type, instance, logs);
    for (const sub of this.subscribers) sub.send(text);
  }

  private engineOnInstance(v: Instance): void {
    if (!isNodePass(v)) {
      // An instance whose spec stopped being a tunnel leaves the master's list.
      this.engineOnRemoved(v.id);
      return;
    }
    const np = toNpInstance(v);
    const type = this.views.has(v.id) ? 'update' : 'create';
    this.views.set(v.id, np);
    this.broadcast(type, np);
  }

  private engineOnRemoved(id: string): void {
    const last = this.views.get(id);
    if (!last) return;
    this.views.delete(id);
    this.broadcast('delete', last);
  }

  private engineOnLog(e: LogEntry): void {
    if (this.subscribers.size === 0 || !e.source.startsWith('instance:')) return;
    const view = this.views.get(e.source.slice('instance:'.length));
    if (view) this.broadcast('log', view, goLogLine(e.time, e.level, e.message));
  }

  private engineOnSettings(s: Settings): void {
    if (!s.masterApi.enabled) this.shutdownAll();
    const key = s.masterApi.key;
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.broadcast('update', keyInstance(s.masterApi));
    this.shutdownAll();
    this.opts.log.info('master API key changed: event streams closed');
  }
}

function frame(type: EventType, instance: NpInstance | null, logs = ''): string {
  const event: InstanceEvent = { type, time: goTime(), instance, logs };
  return `event: instance\ndata: ${goMarshal(event)}\n\n`;
}

/** Bytes buffered for a stream before it counts as backed up (Node's 16 KB mark would trip on any burst). */
const BACKLOG_BYTES = 1 << 20;

/** One SSE stream: writes until BACKLOG_BYTES wait for the socket, then queues up to `limit` frames and drops the rest. */
class Subscriber {
  private readonly queue: string[] = [];
  private blocked = false;
  private done = false;

  constructor(private readonly res: ServerResponse, private readonly limit: number, private readonly onGone: () => void) {
    res.on('drain', () => this.resOnDrain());
    res.on('close', () => {
      this.done = true;
      this.onGone();
    });
  }

  send(text: string): void {
    if (this.done) return;
    if (this.blocked) {
      if (this.queue.length < this.limit) this.queue.push(text);
      return;
    }
    this.res.write(text);
    if (this.res.writableLength > BACKLOG_BYTES) this.blocked = true;
  }

  end(last: string): void {
    if (this.done) return;
    this.done = true;
    if (this.queue.length < this.limit) this.queue.push(last);
    for (const text of this.queue.splice(0)) this.res.write(text);
    this.res.end();
  }

  private resOnDrain(): void {
    this.blocked = false;
    while (!this.blocked && this.queue.length > 0) {
      this.res.write(this.queue.shift()!);
      if (this.res.writableLength > BACKLOG_BYTES) this.blocked = true;
    }
  }
}
