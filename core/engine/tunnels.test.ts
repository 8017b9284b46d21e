import { afterEach, describe, expect, it } from 'vitest';
import { CoreError, type Instance } from '../rpc';
import { startEngine, startHttpTarget, waitFor, type EngineHarness } from '../test/engine-harness';
import { curl, freePort, udpEcho, udpRoundTrip } from '../test/nodepass-rt-rig';

const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function engine(opts: Parameters<typeof startEngine>[0] = {}): Promise<EngineHarness> {
  const h = await startEngine({ tunnelCheckpointMs: 300, ...opts });
  cleanups.push(() => h.close());
  return h;
}

const np = (url: string) => ({ type: 'nodepass' as const, url });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as CoreError).code;
  }
  return 'resolved';
}

describe('nodepass instances in the engine', () => {
  it('runs a single-end forward; traffic counters are exact, persisted across a reopen, and resettable', async () => {
    const body = 'y'.repeat(100_000);
    const web = await startHttpTarget(body);
    cleanups.push(web.close);
    const echo = await udpEcho();
    cleanups.push(() => echo.close());
    const port = await freePort();
    let h = await engine();
    const url = `client://127.0.0.1:${port}/127.0.0.1:${web.port}?mode=1`;
    const inst = await h.client.api.createInstance({ name: 'fwd', spec: np(url), meta: { peer: { sid: 's1', type: '0', alias: 'peer' }, tags: { env: 'test' } } });
    expect(inst).toMatchObject({ state: 'running', address: `127.0.0.1:${port}` });
    expect(inst.tunnel).toMatchObject({ role: 'client', mode: 1, tcprx: 0, tcptx: 0 });
    expect(inst.tunnel!.config).toContain('slot=65536');
    expect(inst.meta.tags).toEqual({ env: 'test' });

    expect((await curl(port)).length).toBe(body.length);
    const after = await waitFor(async () => {
      const t = (await h.client.api.getInstance({ id: inst.id })).tunnel!;
      return t.tcptx >= body.length ? t : undefined;
    }, 3000, 'tcptx counted');
    expect(after.tcprx).toBeGreaterThan(50);
    expect(after.tcptx).toBeLessThan(body.length + 1000);

    // The checkpoint re-emits a running tunnel's view without any change.
    const seen: Instance[] = [];
    h.client.on('instance', (i) => seen.push(i));
    await waitFor(() => seen.some((i) => i.id === inst.id && i.tunnel!.tcptx === after.tcptx), 2000, 'checkpoint event');

    // Reopen on the same data dir: the counters and meta are still there, and it runs again.
    await new Promise((r) => setTimeout(r, 400));
    const { dataDir } = h;
    await h.close({ keepDir: true });
    h = await engine({ dataDir });
    const again = await h.client.api.getInstance({ id: inst.id });
    expect(again.state).toBe('running');
    expect(again.tunnel).toMatchObject({ tcprx: after.tcprx, tcptx: after.tcptx });
    expect(again.meta.peer).toEqual({ sid: 's1', type: '0', alias: 'peer' });

    const reset = await h.client.api.resetInstanceTraffic({ id: inst.id });
    expect(reset.tunnel).toMatchObject({ tcprx: 0, tcptx: 0, udprx: 0, udptx: 0 });
    expect(await codeOf(h.client.api.resetInstanceTraffic({ id: 'nope' }))).toBe('E_NOT_FOUND');

    // UDP goes to the same target list: point a second instance at the echo server.
    const uport = await freePort();
    const u = await h.client.api.createInstance({ name: 'udp', spec: np(`client://127.0.0.1:${uport}/127.0.0.1:${echo.port}?mode=1&notcp=1`) });
    expect((await udpRoundTrip(uport, Buffer.from('ping-udp'))).toString()).toBe('ping-udp');
    const ut = (await h.client.api.getInstance({ id: u.id })).tunnel!;
    expect(ut).toMatchObject({ udprx: 8, udptx: 8, tcprx: 0 });
  });

  it('refuses an invalid URL naming the part, on create, update and in a config file', async () => {
    const h = await engine();
    const bad = h.client.api.createInstance({ name: 'bad', spec: np('client://127.0.0.1:notaport/x:1') });
    await expect(bad).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    await expect(bad).rejects.toThrow(/port/);
    await expect(h.client.api.createInstance({ name: 'bad', spec: np('tcp://x:1/y:2') })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });

    const port = await freePort();
    const ok = await h.client.api.createInstance({ name: 'ok', spec: np(`client://127.0.0.1:${port}/127.0.0.1:9?mode=1`), start: false });
    await expect(h.client.api.updateInstance({ id: ok.id, spec: np('server://:1/x?min=abc') })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    const file = { version: 1 as const, instances: [{ name: 'cfg', spec: np('client://h:70000/x:1') }] };
    await expect(h.client.api.applyConfig(file)).rejects.toThrow(/instances\[0\]\.spec\.url: /);
    expect((await h.client.api.listInstances()).map((i) => i.name)).toEqual(['ok']);
    await expect(h.client.api.resetInstanceTraffic({ id: (await h.client.api.listInstances())[0]!.id })).resolves.toBeTruthy();
  });

  it('a dual-end client whose server is not up yet fails, is retried with backoff, and connects once it is', async () => {
    const web = await startHttpTarget('through the tunnel');
    cleanups.push(web.close);
    const h = await engine();
    const tunnelPort = await freePort();
    const userPort = await freePort();
    // Forward flow: users arrive at the client (userPort); the server dials the web server.
    const client = await h.client.api.createInstance({ name: 'client', spec: np(`client://127.0.0.1:${tunnelPort}/127.0.0.1:${userPort}?mode=2&min=4`) });
    expect(client.state).toBe('failed');
    expect(client.error?.message).toBeTruthy();
    const server = await h.client.api.createInstance({ name: 'server', spec: np(`server://127.0.0.1:${tunnelPort}/127.0.0.1:${web.port}?mode=2`) });
    expect(server).toMatchObject({ state: 'running', tunnel: { role: 'server', mode: 2 } });
    const up = await waitFor(async () => {
      const c = await h.client.api.getInstance({ id: client.id });
      return c.state === 'running' ? c : undefined;
    }, 5000, 'client retried');
    expect(up.tunnel).toMatchObject({ mode: 2 });
    expect(await curl(userPort)).toBe('through the tunnel');
    const s = await waitFor(async () => {
      const t = (await h.client.api.getInstance({ id: server.id })).tunnel!;
      return t.tcptx > 0 ? t : undefined;
    }, 3000, 'server counters');
    expect(s.poolStats.created).toBeGreaterThan(0);

    // A VLESS relay's monitor API counts the engine's tunnel pools in connection_pool.
    const relay = await h.client.api.createInstance({ name: 'relay', spec: { type: 'vless', listen: '127.0.0.1:0' } });
    const res = await fetch(`http://${relay.address}/api/connection-pool-stats`);
    const pool = await res.json() as { total_created: number; total_reused: number; current_idle: number; cache_hits: number };
    expect(pool.total_created).toBeGreaterThanOrEqual(s.poolStats.created);
    expect(pool.cache_hits).toBeGreaterThan(0);
    expect(pool.current_idle).toBeGreaterThan(0);

    // A stop cancels the retrying: a stopped instance stays stopped.
    await h.client.api.stopInstance({ id: server.id });
    await h.client.api.stopInstance({ id: client.id });
    await new Promise((r) => setTimeout(r, 1200));
    expect((await h.client.api.getInstance({ id: client.id })).state).toBe('stopped');
  });
});
