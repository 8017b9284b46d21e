import { EventEmitter } from 'node:events';
import net from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startCoreMain, type CoreChildMessage, type ParentPortLike } from './main';
import { connectCore, messagePortChannel, type CoreApi, type CoreEvents, type Rpc } from './rpc';
import { Engine } from './engine/engine';
import { tempDirs } from './test/store-temp';

/** Electron's parentPort, as the utility process sees it: message events with `data` and `ports`. */
class FakeParentPort extends EventEmitter implements ParentPortLike {
  readonly sent: CoreChildMessage[] = [];
  postMessage(message: CoreChildMessage): void {
    this.sent.push(message);
    this.emit('sent', message);
  }
  fromMain(data: unknown, ports: MessagePort[] = []): void {
    this.emit('message', { data, ports });
  }
  next(type: CoreChildMessage['type']): Promise<CoreChildMessage> {
    const found = this.sent.find((m) => m.type === type);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const on = (m: CoreChildMessage): void => {
        if (m.type !== type) return;
        this.off('sent', on);
        resolve(m);
      };
      this.on('sent', on);
    });
  }
}

const dirs = tempDirs('relaydesk-core-main-');
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  dirs.cleanup();
});

/** Whether a TCP connection to 127.0.0.1:port is accepted (closed again at once). */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

function harness() {
  const parent = new FakeParentPort();
  let exitCode: number | null = null;
  let onExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => { onExit = resolve; });
  // The default `open`: the real Engine (core/engine/engine.ts), loaded on init.
  const main = startCoreMain(parent, { exit: (code) => { exitCode = code; onExit(code); } });
  cleanups.push(async () => {
    // Whatever the test did, the engine must end closed.
    if (exitCode === null) { parent.fromMain({ type: 'shutdown' }); await exited; }
  });
  return { parent, main, exited, get exitCode() { return exitCode; } };
}

function clientPort(parent: FakeParentPort): Rpc<CoreApi, CoreEvents> {
  const { port1, port2 } = new MessageChannel();
  parent.fromMain({ type: 'port' }, [port1]);
  const rpc = connectCore(messagePortChannel(port2), { timeoutMs: 5000 });
  cleanups.push(() => { rpc.close(); port1.close(); port2.close(); });
  return rpc;
}

describe('core/main.ts (utility-process entry)', () => {
  it('answers pings at once, even before init', () => {
    const { parent } = harness();
    parent.fromMain({ type: 'ping', n: 7 });
    expect(parent.sent).toEqual([{ type: 'pong', n: 7 }]);
  });

  it('opens the real engine on init and serves CoreApi on each port', async () => {
    const h = harness();
    const dataDir = dirs.make();
    // A port that arrives right after init waits for the engine.
    h.parent.fromMain({ type: 'init', dataDir, seedDefaults: false });
    const first = clientPort(h.parent);
    expect(await h.parent.next('ready')).toEqual({ type: 'ready' });

    const created = await first.api.createInstance({ name: 'p', spec: { type: 'mixed', listen: '127.0.0.1:0' } });
    expect(created.state).toBe('running');
    expect(created.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await connects(Number(created.address!.split(':')[1]))).toBe(true);

    // A second window's port sees the same engine.
    const second = clientPort(h.parent);
    const list = await second.api.listInstances();
    expect(list.map((i) => [i.id, i.name, i.state])).toEqual([[created.id, 'p', 'running']]);
    expect((await second.api.getInfo()).dataDir).toBe(dataDir);
    expect(h.main.sessions).toBe(2);

    // Events flow per port: the second client hears about a change made by the first.
    const heard = new Promise<string>((resolve) => second.on('instance', (i) => { if (i.state === 'stopped') resolve(i.id); }));
    await second.api.listInstances(); // the subscription has reached the core
    await first.api.stopInstance({ id: created.id });
    expect(await heard).toBe(created.id);
  });

  it('validates inputs with the contract schemas before the engine sees them', async () => {
    const h = harness();
    h.parent.fromMain({ type: 'init', dataDir: dirs.make(), seedDefaults: false });
    const rpc = clientPort(h.parent);
    const err = await rpc.api.createInstance({ name: '', spec: { type: 'mixed' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_CONFIG_INVALID' });
    expect(await rpc.api.listInstances()).toEqual([]);
  });

  it('a closed port ends only its own session', async () => {
    const h = harness();
    h.parent.fromMain({ type: 'init', dataDir: dirs.make(), seedDefaults: false });
    const a = clientPort(h.parent);
    const b = clientPort(h.parent);
    await Promise.all([a.ready, b.ready]);
    expect(h.main.sessions).toBe(2);
    a.close();
    await expect.poll(() => h.main.sessions).toBe(1);
    expect(await b.api.listInstances()).toEqual([]);
  });

  it('shutdown closes the sessions and the engine, then exits 0', async () => {
    const h = harness();
    const dataDir = dirs.make();
    h.parent.fromMain({ type: 'init', dataDir, seedDefaults: false });
    const rpc = clientPort(h.parent);
    const proxy = await rpc.api.createInstance({ name: 'p', spec: { type: 'mixed', listen: '127.0.0.1:0' } });
    const port = Number(proxy.address!.split(':')[1]);
    expect(await connects(port)).toBe(true);
    const closedChannel = new Promise<string>((resolve) => rpc.onClose(resolve));
    h.parent.fromMain({ type: 'shutdown' });
    expect(await h.exited).toBe(0);
    await closedChannel;
    // The instance was stopped and the store closed: the port is free, the data dir usable again.
    expect(await connects(port)).toBe(false);
    const next = await Engine.open({ dataDir });
    expect(next.listInstances().map((i) => [i.name, i.state])).toEqual([['p', 'running']]);
    await next.close();
  });

  it('reports fatal and exits 1 when the engine cannot open', async () => {
    const dataDir = dirs.make();
    const holder = await Engine.open({ dataDir });
    cleanups.push(() => holder.close());
    const h = harness();
    h.parent.fromMain({ type: 'init', dataDir, seedDefaults: false });
    expect(await h.exited).toBe(1);
    expect(await h.parent.next('fatal')).toMatchObject({ type: 'fatal', code: 'E_STORE_LOCKED' });
  });
});
