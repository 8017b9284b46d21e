import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Instance } from '../rpc';
import { curl, startEngine, startHttpTarget, waitFor, type EngineHarness } from '../test/engine-harness';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function engine(opts?: Parameters<typeof startEngine>[0]): Promise<EngineHarness> {
  const h = await startEngine(opts);
  cleanups.push(() => h.close());
  return h;
}

const mixed = (listen = '127.0.0.1:0') => ({ type: 'mixed' as const, listen });

describe('Engine over the RPC, with real traffic', () => {
  it('creates, runs and persists a mixed proxy; traffic shows in connections, stats and history', async () => {
    const h = await engine();
    const target = await startHttpTarget('x'.repeat(200_000));
    cleanups.push(target.close);
    const states: string[] = [];
    h.client.on('instance', (i) => states.push(i.state));
    const ticks: number[] = [];
    h.client.on('stats', (t) => ticks.push(t.time));

    const inst = await h.client.api.createInstance({ name: 'proxy', spec: mixed() });
    expect(inst.state).toBe('running');
    expect(inst.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await waitFor(() => states.includes('running'), 2000, 'running event');
    expect(states.slice(0, 2)).toEqual(['stopped', 'starting']);

    // A slow response keeps one connection open while we look at it.
    const slow = curl(['--socks5-hostname', inst.address!, `${target.url}slow`, '--max-time', '2'], 5000);
    const open = await waitFor(async () => (await h.client.api.listConnections({})).find((c) => c.destination.endsWith(`:${target.port}`)), 3000, 'open connection');
    expect(open).toMatchObject({ instanceId: inst.id, network: 'tcp', inbound: 'socks5', outbound: 'direct', rule: 'lan' });
    expect((await h.client.api.closeConnection({ id: open.id })).id).toBe(open.id);
    await slow;

    const r = await curl(['--socks5-hostname', inst.address!, target.url]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(200_000);
    const tick = await waitFor(async () => {
      const t = await h.client.api.getStats();
      return t.instances[inst.id]?.totalDown >= 200_000 ? t : null;
    }, 3000, 'stats to count the download');
    expect(tick.totalDown).toBeGreaterThanOrEqual(200_000);
    expect(tick.outbounds.direct.totalDown).toBeGreaterThanOrEqual(200_000);
    expect(ticks.length).toBeGreaterThan(0);
    const hist = await waitFor(async () => {
      const hs = await h.client.api.getHistory({ range: '1h', scope: `instance:${inst.id}` });
      return hs.points.reduce((s, p) => s + p[2], 0) >= 200_000 ? hs : null;
    }, 3000, 'history');
    expect(hist.resolution).toBe(1);

    const stopped = await h.client.api.stopInstance({ id: inst.id });
    expect(stopped.state).toBe('stopped');
    expect((await curl(['--socks5-hostname', inst.address!, target.url])).code).not.toBe(0);
  });

  it('reports a taken port as a failed instance with E_LISTEN_ADDRINUSE, and recovers', async () => {
    const h = await engine();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const inst = await h.client.api.createInstance({ name: 'busy', spec: mixed(`127.0.0.1:${port}`) });
    expect(inst.state).toBe('failed');
    expect(inst.error?.code).toBe('E_LISTEN_ADDRINUSE');
    await new Promise((r) => blocker.close(r));
    expect((await h.client.api.startInstance({ id: inst.id })).state).toBe('running');
  });

  it('rejects bad input with specific codes and never changes state', async () => {
    const h = await engine();
    const bad = await h.client.api.createInstance({ name: 'x', spec: mixed('nope') }).catch((e) => e);
    expect(bad.code).toBe('E_CONFIG_INVALID');
    expect(bad.message).toContain('spec.listen: expected host:port');
    expect((await h.client.api.getInstance({ id: 'missing' }).catch((e) => e)).code).toBe('E_NOT_FOUND');
    await h.client.api.createInstance({ name: 'a', spec: mixed(), start: false });
    expect((await h.client.api.createInstance({ name: 'a', spec: mixed() }).catch((e) => e)).code).toBe('E_CONFIG_CONFLICT');
    const route = await h.client.api.updateSettings({ route: { mode: 'rule', rules: [{ type: 'domain', value: 'a.com', outbound: 'nowhere' }] } }).catch((e) => e);
    expect(route.code).toBe('E_CONFIG_INVALID');
    expect(route.message).toContain('rules[0].outbound');
    expect((await h.client.api.listInstances()).map((i) => i.name)).toEqual(['a']);
    expect((await h.client.api.getSettings()).route.rules).toEqual([]);
  });

  it('keeps instances, settings and counters across a restart and auto-starts', async () => {
    const h = await engine();
    const target = await startHttpTarget('y'.repeat(50_000));
    cleanups.push(target.close);
    const inst = await h.client.api.createInstance({ name: 'keep', spec: mixed() });
    const manual = await h.client.api.createInstance({ name: 'manual', autoStart: false, spec: mixed(), start: false });
    await h.client.api.updateSettings({ route: { mode: 'direct', rules: [], final: 'direct', globalOutbound: 'direct', lanBypass: false } });
    expect((await curl(['--socks5-hostname', inst.address!, target.url])).code).toBe(0);
    await waitFor(async () => (await h.client.api.getStats()).totalDown >= 50_000, 3000, 'count');
    await h.close({ keepDir: true });
    cleanups.pop();

    const again = await engine({ dataDir: h.dataDir });
    const list = await again.client.api.listInstances();
    expect(list.find((i) => i.id === inst.id)?.state).toBe('running');
    expect(list.find((i) => i.id === manual.id)?.state).toBe('stopped');
    expect((await again.client.api.getSettings()).route.mode).toBe('direct');
    expect((await again.client.api.getStats()).totalDown).toBeGreaterThanOrEqual(50_000);
  });

  it('applies and exports a configuration file, all or nothing', async () => {
    const h = await engine();
    const res = await h.client.api.applyConfig({ instances: [{ name: 'one', spec: mixed() }, { name: 'two', autoStart: false, spec: mixed() }] });
    expect(res.created).toHaveLength(2);
    const bad = await h.client.api.applyConfig({ instances: [{ name: 'three', spec: mixed() }, { name: 'three', spec: mixed() }] }).catch((e) => e);
    expect(bad.code).toBe('E_CONFIG_INVALID');
    expect(bad.message).toContain('instances[1].name: duplicate name "three"');
    const exported = await h.client.api.exportConfig();
    expect(exported.instances.map((i) => i.name)).toEqual(['one', 'two']);
    const pruned = await h.client.api.applyConfig({ prune: true, instances: [exported.instances[0]] });
    expect(pruned).toEqual({ created: [], updated: [], deleted: [exported.instances[1].id] });
    const all: Instance[] = await h.client.api.listInstances();
    expect(all.map((i) => i.name)).toEqual(['one']);
  });

  it('streams log entries and returns them from the ring', async () => {
    const h = await engine();
    const seen: string[] = [];
    h.client.on('log', (e) => seen.push(e.message));
    await h.client.api.createInstance({ name: 'logged', spec: mixed() });
    await waitFor(() => seen.some((m) => m.includes('"logged" running')), 2000, 'log event');
    const logs = await h.client.api.getLogs({ limit: 10 });
    expect(logs.some((e) => e.message.includes('"logged" created'))).toBe(true);
  });
});
