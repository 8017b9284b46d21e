import { afterEach, beforeEach, expect, it } from 'vitest';
import { curl, startHttpTarget, waitFor } from '../../test/engine-harness';
import { freePort, masterRequest, startMaster, type MasterHarness } from '../../test/nodepass-api-harness';

let m: MasterHarness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
beforeEach(async () => {
  m = await startMaster();
  target = await startHttpTarget('hello through the tunnel\n');
});
afterEach(async () => {
  await target.close();
  await m.close();
});

/** What NodePassDash does against a master (internal/nodepass/client.go), end to end with real traffic. */
it('NodePassDash flow: list, create, curl through, stop/start, reset traffic, tcping, rotate the key', async () => {
  let key = m.key();
  const call = (method: string, path: string, body?: unknown) => masterRequest(`${m.base}${path}`, method, { key, body, headers: { 'content-type': 'application/json' } });

  // TestConnection / GetInstances
  const list = await call('GET', '/instances');
  expect(list.status).toBe(200);
  expect(list.json).toHaveLength(1);

  // CreateInstance {"url": commandLine}
  const port = await freePort();
  const created = await call('POST', '/instances', { url: `client://127.0.0.1:${port}/127.0.0.1:${target.port}?mode=1` });
  expect(created.status).toBe(201);
  const id: string = created.json.id;
  expect(m.engine.getInstance({ id }).address).toBe(`127.0.0.1:${port}`);

  const through = await curl([`http://127.0.0.1:${port}/`]);
  expect(through.stdout).toBe('hello through the tunnel\n');

  // Traffic shows up at the next checkpoint.
  const counted = await waitFor(async () => {
    const r = (await call('GET', `/instances/${id}`)).json;
    return r.tcprx > 0 && r.tcptx > 0 ? r : null;
  }, 8000, 'tcprx/tcptx after a checkpoint');
  expect(counted).toMatchObject({ status: 'running', type: 'client', mode: 1 });

  // ControlInstance stop → the port is closed; start → it serves again.
  expect((await call('PATCH', `/instances/${id}`, { action: 'stop' })).json.status).toBe('stopped');
  expect((await curl([`http://127.0.0.1:${port}/`], 3000)).code).not.toBe(0);
  expect((await call('PATCH', `/instances/${id}`, { action: 'start' })).json.status).toBe('running');
  expect((await curl([`http://127.0.0.1:${port}/`])).stdout).toBe('hello through the tunnel\n');

  // ResetTraffic
  const reset = await call('PATCH', `/instances/${id}`, { action: 'reset' });
  expect(reset.json).toMatchObject({ tcprx: 0, tcptx: 0, udprx: 0, udptx: 0 });

  // RenameInstance, SetRestartInstance, tags, peer
  await call('PATCH', `/instances/${id}`, { alias: 'web' });
  await call('PATCH', `/instances/${id}`, { restart: false });
  await call('PATCH', `/instances/${id}`, { meta: { tags: { region: 'eu' } } });
  const tagged = await call('PATCH', `/instances/${id}`, { meta: { peer: { sid: 'svc-1', type: '1', alias: 'pair' } } });
  expect(tagged.json).toMatchObject({ alias: 'web', restart: false, meta: { tags: { region: 'eu' }, peer: { sid: 'svc-1', type: '1', alias: 'pair' } } });

  // TCPing ×5 against the tunnel's port (live) and a dead one.
  for (let i = 0; i < 5; i++) {
    const live = await call('GET', `/tcping?target=127.0.0.1:${port}`);
    expect(live.json).toMatchObject({ target: `127.0.0.1:${port}`, connected: true, error: null });
  }
  const dead = await call('GET', `/tcping?target=127.0.0.1:${await freePort()}`);
  expect(dead.json.connected).toBe(false);

  // GetInfo
  const info = await call('GET', '/info');
  for (const k of ['os', 'arch', 'ver', 'name', 'log', 'tls', 'crt', 'key', 'cpu', 'mem_used', 'mem_total', 'swap_used', 'swap_total', 'diskr', 'diskw', 'netrx', 'nettx', 'sysup', 'uptime', 'alias']) {
    expect(info.json, k).toHaveProperty(k);
  }

  // Reset API key, then carry on with the new one.
  const rotated = await call('PATCH', '/instances/********', { action: 'restart' });
  expect((await call('GET', '/instances')).status).toBe(401);
  key = rotated.json.url;
  const after = await call('GET', '/instances');
  expect(after.json.map((i: { id: string }) => i.id)).toEqual(['********', id]);

  // UpdateInstance (PUT) to a new port, then DeleteInstance.
  const port2 = await freePort();
  const put = await call('PUT', `/instances/${id}`, { url: `client://127.0.0.1:${port2}/127.0.0.1:${target.port}?mode=1` });
  expect(put.status).toBe(200);
  expect((await curl([`http://127.0.0.1:${port2}/`])).stdout).toBe('hello through the tunnel\n');
  expect((await call('DELETE', `/instances/${id}`)).status).toBe(204);
  expect((await curl([`http://127.0.0.1:${port2}/`], 3000)).code).not.toBe(0);
}, 40_000);

it('instances created from the dashboard (CoreApi) are the same instances', async () => {
  const port = await freePort();
  const made = await m.engine.createInstance({ name: 'from-dashboard', autoStart: true, start: true, spec: { type: 'nodepass', url: `client://127.0.0.1:${port}/127.0.0.1:${target.port}?mode=1` } });
  const seen = (await m.req('GET', `/instances/${made.id}`)).json;
  expect(seen).toMatchObject({ id: made.id, alias: 'from-dashboard', status: 'running', url: made.spec.type === 'nodepass' ? made.spec.url : '' });
  await m.req('PATCH', `/instances/${made.id}`, { body: { action: 'stop' } });
  expect(m.engine.getInstance({ id: made.id }).state).toBe('stopped');
});
