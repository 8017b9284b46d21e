import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, masterRequest, NP_INSTANCE_KEYS, startMaster, type MasterHarness } from '../../test/nodepass-api-harness';

let m: MasterHarness;
beforeEach(async () => { m = await startMaster(); });
afterEach(async () => { await m.close(); });

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, PATCH, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Authorization, X-API-Key, Cache-Control',
};

async function create(body: unknown = {}) {
  const port = await freePort();
  const r = await m.req('POST', '/instances', { body: { url: `client://127.0.0.1:${port}/127.0.0.1:9?mode=1`, ...(body as object) } });
  expect(r.status).toBe(201);
  return r.json;
}

describe('master API auth, CORS and routing', () => {
  it('401s without or with a wrong key, accepts the key from settings, leaves /openapi.json and /docs public', async () => {
    const none = await m.req('GET', '/instances', { key: null });
    expect(none.status).toBe(401);
    expect(none.text).toBe('{"error":"Unauthorized: API key required"}\n');
    expect(none.headers['content-type']).toBe('application/json');
    expect(none.headers).toMatchObject(CORS);
    const wrong = await m.req('GET', '/info', { key: '0'.repeat(32) });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: 'Unauthorized: Invalid API key' });
    for (const p of ['/instances', '/instances/********', '/events', '/info', '/tcping?target=x:1']) {
      expect((await m.req('GET', p, { key: null })).status, p).toBe(401);
    }
    expect(m.key()).toMatch(/^[0-9a-f]{32}$/);
    expect((await m.req('GET', '/instances')).status).toBe(200);
    expect((await m.req('GET', '/openapi.json', { key: null })).status).toBe(200);
    expect((await m.req('GET', '/docs', { key: null })).status).toBe(200);
  });

  it('takes a key rotated from the dashboard (settings) at once', async () => {
    const old = m.key();
    const next = 'a'.repeat(32);
    m.engine.updateSettings({ masterApi: { ...m.engine.getSettings().masterApi, key: next } });
    expect((await m.req('GET', '/instances', { key: old })).status).toBe(401);
    expect((await m.req('GET', '/instances', { key: next })).status).toBe(200);
  });

  it('answers OPTIONS with 200 and CORS before auth; 405 on other methods; Go 404 text elsewhere', async () => {
    for (const p of ['/instances', '/instances/abc', '/events', '/info', '/tcping', '/openapi.json']) {
      const r = await m.req('OPTIONS', p, { key: null });
      expect(r.status, p).toBe(200);
      expect(r.text).toBe('');
      expect(r.headers).toMatchObject(CORS);
    }
    for (const [method, p] of [['DELETE', '/instances'], ['PUT', '/events'], ['DELETE', '/info'], ['POST', '/tcping'], ['POST', '/instances/********']]) {
      const r = await m.req(method!, p!);
      expect(r.status, `${method} ${p}`).toBe(405);
      expect(r.json).toEqual({ error: 'Method not allowed' });
    }
    for (const p of ['/nope', '/info/', '/instancesx', `${m.origin}/api/v1`]) {
      const r = await m.req('GET', p);
      expect(r.status, p).toBe(404);
      expect(r.text).toBe('404 page not found\n');
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('answers 404 everywhere while masterApi.enabled is false', async () => {
    const s = m.engine.getSettings().masterApi;
    m.engine.updateSettings({ masterApi: { ...s, enabled: false } });
    for (const p of ['/instances', '/openapi.json', '/docs']) expect((await m.req('GET', p)).status, p).toBe(404);
    m.engine.updateSettings({ masterApi: { ...s, enabled: true } });
    expect((await m.req('GET', '/instances')).status).toBe(200);
  });
});

describe('instances', () => {
  it('lists the ******** entry then tunnel instances only, fields in NodePass order', async () => {
    await m.engine.createInstance({ name: 'socks', autoStart: false, start: false, spec: { type: 'mixed', listen: '127.0.0.1:0', users: [], udp: true, handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000, udpIdleTimeoutMs: 60_000 } });
    const made = await create({ alias: 'web' });
    const list = await m.req('GET', '/instances');
    expect(list.json.map((i: { id: string }) => i.id)).toEqual(['********', made.id]);
    const [key, inst] = list.json;
    expect(Object.keys(key)).toEqual(NP_INSTANCE_KEYS);
    expect(key).toMatchObject({ type: '', status: '', url: m.key(), config: m.engine.getSettings().masterApi.mid, restart: false, meta: { peer: { sid: '', type: '', alias: '' }, tags: {} } });
    expect(Object.keys(inst)).toEqual(NP_INSTANCE_KEYS);
    expect(inst).toMatchObject({ alias: 'web', type: 'client', restart: true, mode: 1 });
    const socks = m.engine.listInstances().find((i) => i.name === 'socks')!;
    expect((await m.req('GET', `/instances/${socks.id}`)).json).toEqual({ error: 'Instance not found' });
  });

  it('POST: 201 with an 8-hex id, enhanced url, config with defaults; 400/409 as NodePass words them', async () => {
    const port = await freePort();
    const r = await m.req('POST', '/instances', { body: { url: `client://127.0.0.1:${port}/127.0.0.1:9?mode=1&rate=0` } });
    expect(r.status).toBe(201);
    expect(r.json.id).toMatch(/^[0-9a-f]{8}$/);
    expect(r.json.alias).toBe('');
    expect(r.json.url).toBe(`client://127.0.0.1:${port}/127.0.0.1:9?log=info&mode=1&rate=0`);
    expect(r.json.config).toContain('slot=65536');
    expect(r.text).toContain('\\u0026');
    expect(r.json.status).toBe('running');
    const bad = async (body: unknown) => (await m.req('POST', '/instances', { body })).json.error;
    expect(await bad('{oops')).toBe('Invalid request body');
    expect(await bad({ url: '' })).toBe('Invalid request body');
    expect(await bad({ url: 5 })).toBe('Invalid request body');
    expect(await bad({ url: 'http://127.0.0.1:1/x:2' })).toBe('Invalid URL scheme');
    expect(await bad({ url: 'client://127.0.0.1/x' })).toMatch(/^Invalid URL format: tunnel address/);
    expect(await bad({ url: `client://127.0.0.1:${port}/127.0.0.1:9?mode=7` })).toMatch(/^Invalid URL format: query parameter "mode"/);
    // encoding/json matches keys case-insensitively; no Content-Type is fine.
    const p2 = await freePort();
    const up = await m.req('POST', '/instances', { body: `{"URL":"client://127.0.0.1:${p2}/127.0.0.1:9?mode=1","Alias":"x"}` });
    expect(up.status).toBe(201);
    expect(up.json.alias).toBe('x');
    const dup = await m.req('POST', '/instances', { body: { url: `client://127.0.0.1:${await freePort()}/127.0.0.1:9?mode=1`, alias: 'x' } });
    expect(dup.status).toBe(409);
    expect(dup.json.error).toBe('Instance alias already in use: x');
  });

  it('GET one: 400 without id, 404 unknown, the id taken verbatim', async () => {
    expect((await m.req('GET', '/instances/')).json).toEqual({ error: 'Instance ID is required' });
    expect((await m.req('GET', '/instances/nope')).status).toBe(404);
    expect((await m.req('GET', '/instances/a/b')).json).toEqual({ error: 'Instance not found' });
    expect((await m.req('GET', '/instances/%2A%2A%2A%2A%2A%2A%2A%2A')).json.url).toBe(m.key());
  });

  it('PATCH: alias, restart, meta (tags replace, peer replaced), limits, bad JSON ignored', async () => {
    const made = await create({ alias: 'one' });
    const patch = (body: unknown) => m.req('PATCH', `/instances/${made.id}`, { body });
    let r = await patch({ alias: 'two', restart: false, meta: { tags: { env: 'prod', team: 'a' }, peer: { sid: 's1', type: 't' } } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ alias: 'two', restart: false, meta: { peer: { sid: 's1', type: 't', alias: '' }, tags: { env: 'prod', team: 'a' } } });
    r = await patch({ alias: '', meta: { tags: { only: '1' } } });
    expect(r.json).toMatchObject({ alias: 'two', meta: { peer: { sid: 's1' }, tags: { only: '1' } } });
    expect((await patch('{not json')).json).toEqual(r.json);
    expect((await patch({ alias: 7 })).json.alias).toBe('two');
    expect((await patch({ action: 'jump' })).json).toEqual({ error: 'Invalid action: jump' });
    expect((await patch({ alias: 'x'.repeat(257) })).json).toEqual({ error: 'Instance alias exceeds maximum length 256' });
    expect((await patch({ meta: { peer: { sid: 'x'.repeat(257) } } })).json).toEqual({ error: 'Meta peer.sid exceeds maximum length 256' });
    expect((await patch({ meta: { tags: { ['k'.repeat(257)]: 'v' } } })).json).toEqual({ error: 'Meta tag key exceeds maximum length 256' });
    expect((await patch({ meta: { tags: { k: 'v'.repeat(257) } } })).json).toEqual({ error: 'Meta tag value exceeds maximum length 256' });
    const stored = m.engine.getInstance({ id: made.id });
    expect(stored).toMatchObject({ name: 'two', autoStart: false, meta: { tags: { only: '1' } } });
  });

  it('PATCH actions stop/start/restart/reset change the engine state', async () => {
    const made = await create();
    const act = async (action: string) => (await m.req('PATCH', `/instances/${made.id}`, { body: { action } })).json;
    expect((await act('stop')).status).toBe('stopped');
    expect(m.engine.getInstance({ id: made.id }).state).toBe('stopped');
    expect((await act('start')).status).toBe('running');
    expect((await act('restart')).status).toBe('running');
    expect(await act('reset')).toMatchObject({ tcprx: 0, tcptx: 0, udprx: 0, udptx: 0 });
  });

  it('PUT: replaces the url (409 for the same one), 403 for the key; DELETE: 204 then 404, 403 for the key', async () => {
    const made = await create();
    const same = await m.req('PUT', `/instances/${made.id}`, { body: { url: made.url } });
    expect(same.status).toBe(409);
    expect(same.json).toEqual({ error: 'Instance URL conflict' });
    const port = await freePort();
    const put = await m.req('PUT', `/instances/${made.id}`, { body: { url: `client://127.0.0.1:${port}/127.0.0.1:9?mode=1` } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ id: made.id, url: `client://127.0.0.1:${port}/127.0.0.1:9?log=info&mode=1`, status: 'running' });
    expect((await m.req('PUT', `/instances/${made.id}`, { body: {} })).json).toEqual({ error: 'Invalid request body' });
    expect((await m.req('PUT', '/instances/********', { body: { url: made.url } })).json).toEqual({ error: 'Forbidden: API Key' });
    expect((await m.req('DELETE', '/instances/********')).status).toBe(403);
    const del = await m.req('DELETE', `/instances/${made.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect(del.headers).toMatchObject(CORS);
    expect((await m.req('GET', `/instances/${made.id}`)).status).toBe(404);
    expect(m.engine.listInstances()).toEqual([]);
  });

  it('PATCH ******** {"action":"restart"} rotates the key; other bodies change nothing', async () => {
    const old = m.key();
    expect((await m.req('PATCH', '/instances/********', { body: { action: 'stop', alias: 'x' } })).json.url).toBe(old);
    const r = await m.req('PATCH', '/instances/********', { body: { action: 'restart' } });
    expect(r.status).toBe(200);
    expect(r.json.url).toMatch(/^[0-9a-f]{32}$/);
    expect(r.json.url).not.toBe(old);
    expect(m.key()).toBe(r.json.url);
    expect((await masterRequest(`${m.base}/info`, 'GET', { key: old })).status).toBe(401);
  });
});

describe('/info and /tcping', () => {
  it('GET /info has every MasterInfo field; POST sets the alias', async () => {
    const r = await m.req('GET', '/info');
    expect(Object.keys(r.json)).toEqual(['mid', 'alias', 'os', 'arch', 'cpu', 'mem_total', 'mem_used', 'swap_total', 'swap_used', 'netrx', 'nettx', 'diskr', 'diskw', 'sysup', 'ver', 'name', 'uptime', 'log', 'tls', 'crt', 'key']);
    expect(r.json).toMatchObject({ mid: m.engine.getSettings().masterApi.mid, name: '127.0.0.1', tls: '0', ver: m.engine.getInfo().version });
    if (process.platform === 'linux') expect(r.json.mem_total).toBeGreaterThan(0);
    const post = await m.req('POST', '/info', { body: { alias: 'edge-1' } });
    expect(post.json.alias).toBe('edge-1');
    expect(m.engine.getSettings().masterApi.alias).toBe('edge-1');
    expect((await m.req('POST', '/info', { body: 'nope' })).json).toEqual({ error: 'Invalid request body' });
    expect((await m.req('POST', '/info', { body: { alias: 'x'.repeat(257) } })).json).toEqual({ error: 'Master alias exceeds maximum length 256' });
    expect((await m.req('GET', '/instances/********')).json.alias).toBe('edge-1');
  });

  it('tcping: 400 without target, connected to a live port, refused on a dead one', async () => {
    expect((await m.req('GET', '/tcping')).json).toEqual({ error: 'Target address required' });
    const live = await m.req('GET', `/tcping?target=${encodeURIComponent(new URL(m.origin).host)}`);
    expect(live.json).toMatchObject({ connected: true, error: null });
    expect(Object.keys(live.json)).toEqual(['target', 'connected', 'latency', 'error']);
    const dead = await m.req('GET', `/tcping?target=127.0.0.1:${await freePort()}`);
    expect(dead.json).toMatchObject({ connected: false, latency: 0, error: expect.stringContaining('connection refused') });
  });
});
