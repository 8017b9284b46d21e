import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../server';
import { startEngine, waitFor, type EngineHarness } from '../../test/engine-harness';
import { ALICE, BOB, CAROL, liveClient, startRelay } from '../../test/users-harness';
import { startUsersApi, usersRequest, USERS_TOKEN, type UsersRequestOptions } from '../../test/users-http';
import { startEcho, type RawClient } from '../../test/vless-in-harness';
import type { UsersApiOptions } from './plugin';

let echo: Awaited<ReturnType<typeof startEcho>>;
let h: EngineHarness | null = null;
const servers: ApiServer[] = [];
const clients: RawClient[] = [];

beforeAll(async () => { echo = await startEcho(); });
afterAll(async () => { await echo.close(); });
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.close();
  await h?.close();
  h = null;
});

/** An engine with relay1 (alice, bob) and a users API with `opts`; returns a request function. */
async function setup(opts: UsersApiOptions = {}) {
  h = await startEngine();
  const relay = await startRelay(h);
  const { api, base } = await startUsersApi(h.engine, opts);
  servers.push(api);
  const req = (method: string, path: string, o?: UsersRequestOptions) => usersRequest(base, method, path, o);
  return { req, relay, base };
}

const HEX64 = /^[0-9a-f]{64}$/;

describe('users API envelope and checks', () => {
  it('answers health with the envelope; request_id counts every request from 1', async () => {
    const { req } = await setup();
    const miss = await req('GET', '/v1/nope');
    expect(miss.status).toBe(404);
    expect(miss.json).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) }, request_id: 1 });
    const health = await req('GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(health.json).toEqual({ ok: true, data: { status: 'ok', read_only: false }, revision: expect.stringMatching(HEX64) });
    expect((await req('GET', '/v1/users/zed')).json).toMatchObject({ ok: false, error: { code: 'not_found' }, request_id: 3 });
  });

  it('drops, refuses or blanks peers outside the whitelist (gray_action)', async () => {
    const outside = { localAddress: '127.0.0.2' };
    let { req } = await setup({ whitelist: ['127.0.0.1/32'] });
    expect((await req('GET', '/v1/health', outside)).status).toBe(0);
    expect((await req('GET', '/v1/health')).status).toBe(200);
    for (const s of servers.splice(0)) await s.close();
    const api = await startUsersApi(h!.engine, { whitelist: ['127.0.0.1/32'], grayAction: 'api' });
    servers.push(api.api);
    req = (m, p, o) => usersRequest(api.base, m, p, o);
    expect((await req('GET', '/v1/health', outside)).json).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await req('GET', '/v1/health', { ...outside, token: null })).status).toBe(403);
    const blank = await startUsersApi(h!.engine, { whitelist: ['127.0.0.1/32'], grayAction: '200' });
    servers.push(blank.api);
    const r = await usersRequest(blank.base, 'GET', '/v1/users', outside);
    expect([r.status, r.text, r.headers['content-type']?.startsWith('text/html')]).toEqual([200, '', true]);
  });

  it('requires the exact Authorization header (the control token by default, configurable, "" = none)', async () => {
    const { req, base } = await setup();
    expect((await req('GET', '/v1/users', { token: null })).json).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await req('GET', '/v1/users', { token: `${USERS_TOKEN}x` })).status).toBe(401);
    // Auth comes before routing.
    expect((await req('PUT', '/v1/nope', { token: null })).status).toBe(401);
    expect((await usersRequest(base, 'GET', '/v1/users', { token: null, headers: { authorization: `bearer ${USERS_TOKEN}` } })).status).toBe(401);
    const open = await startUsersApi(h!.engine, { authHeader: '' });
    servers.push(open.api);
    expect((await usersRequest(open.base, 'GET', '/v1/users', { token: null })).status).toBe(200);
    const custom = await startUsersApi(h!.engine, { authHeader: 'Secret xyz' });
    servers.push(custom.api);
    expect((await usersRequest(custom.base, 'GET', '/v1/users', { token: null, headers: { authorization: 'Secret xyz' } })).status).toBe(200);
    expect((await usersRequest(custom.base, 'GET', '/v1/users')).status).toBe(401);
  });

  it('routes as telemt: 404 for unknown paths, 405 with Allow', async () => {
    const { req } = await setup();
    const put = await req('PUT', '/v1/users/alice', { body: {} });
    expect([put.status, put.headers.allow, put.json?.error?.code]).toEqual([405, 'GET, PATCH, DELETE', 'method_not_allowed']);
    expect((await req('POST', '/v1/users/alice', { body: {} })).status).toBe(404);
    expect((await req('GET', '/v1/users/alice/x/y')).status).toBe(404);
    expect((await req('POST', '/v1/users/alice/nope')).status).toBe(404);
    const del = await req('DELETE', '/v1/health');
    expect([del.status, del.headers.allow]).toEqual([405, 'GET']);
    const action = await req('GET', '/v1/users/alice/enable');
    expect([action.status, action.headers.allow]).toEqual([405, 'POST']);
    expect((await req('PUT', '/v1/users')).headers.allow).toBe('GET, POST');
    expect((await req('GET', '/v1/users/')).status).toBe(200);
    expect((await req('GET', '/v1/health?x=1')).status).toBe(200);
  });

  it('read-only mode refuses mutations after routing and before the body', async () => {
    const { req } = await setup({ readOnly: true, bodyLimit: 16 });
    expect((await req('GET', '/v1/health')).json?.data).toEqual({ status: 'ok', read_only: true });
    const post = await req('POST', '/v1/users', { body: 'x'.repeat(100) });
    expect([post.status, post.json?.error?.code]).toEqual([403, 'read_only']);
    expect((await req('PUT', '/v1/users/alice')).status).toBe(405);
    expect((await req('POST', '/v1/users/alice/disable')).status).toBe(403);
    expect((await req('GET', '/v1/users')).status).toBe(200);
  });

  it('limits the body (413) and rejects bad JSON (400)', async () => {
    const { req } = await setup({ bodyLimit: 64 });
    const big = await req('POST', '/v1/users', { body: { username: 'x'.repeat(64), pad: 'y'.repeat(50) } });
    expect([big.status, big.json?.error?.code]).toEqual([413, 'payload_too_large']);
    const chunked = await req('POST', '/v1/users', { body: 'z'.repeat(65), chunked: true });
    expect([chunked.status, chunked.json?.error?.code]).toEqual([413, 'payload_too_large']);
    expect((await req('POST', '/v1/users', { body: '{"username":"chunk"}', chunked: true })).status).toBe(201);
    expect((await req('POST', '/v1/users', { body: '{"username":' })).json?.error).toEqual({ code: 'bad_request', message: 'Invalid JSON body' });
    expect((await req('POST', '/v1/users', { body: '[1]' })).json?.error?.code).toBe('bad_request');
    expect((await req('POST', '/v1/users')).json?.error?.code).toBe('bad_request');
    // Content-Type is not required and unknown fields are ignored.
    const ok = await req('POST', '/v1/users', { body: '{"username":"dave","xyz":1}', headers: { 'content-type': 'text/plain' } });
    expect(ok.status).toBe(201);
  });

  it('refuses everything with 503 api_disabled when disabled', async () => {
    const { req } = await setup({ enabled: false });
    expect((await req('GET', '/v1/health')).json).toMatchObject({ ok: false, error: { code: 'api_disabled' } });
  });

  it('rejects invalid options', async () => {
    h = await startEngine();
    await expect(startUsersApi(h.engine, { bodyLimit: 0 })).rejects.toThrow(/bodyLimit/);
    await expect(startUsersApi(h.engine, { bodyLimit: 1_048_577 })).rejects.toThrow(/bodyLimit/);
  });
});

describe('users API endpoints', () => {
  it('lists users sorted with telemt UserInfo fields', async () => {
    const { req, relay } = await setup();
    await req('PATCH', '/v1/users/bob', { body: { max_tcp_conns: 3, data_quota_bytes: 1000, rate_limit_up_bps: 10, rate_limit_down_bps: 20, max_unique_ips: 2, expiration_rfc3339: '2099-01-01T00:00:00Z' } });
    clients.push(await liveClient(relay.port, ALICE, echo.port));
    const list = await req('GET', '/v1/users');
    expect(list.json?.data.map((u: { username: string }) => u.username)).toEqual(['alice', 'bob']);
    const [alice, bob] = list.json!.data;
    expect(alice).toEqual({
      username: 'alice', enabled: true, in_runtime: true, current_connections: 1, active_unique_ips: 1,
      active_unique_ips_list: ['127.0.0.1'], recent_unique_ips: 1, recent_unique_ips_list: ['127.0.0.1'], total_octets: expect.any(Number),
      links: { classic: [expect.stringMatching(new RegExp(`^vless://${ALICE}@127\\.0\\.0\\.1:${relay.port}\\?`))], secure: [], tls: [], tls_domains: [] },
    });
    expect(bob).toMatchObject({
      max_tcp_conns: 3, data_quota_bytes: 1000, rate_limit_up_bps: 10, rate_limit_down_bps: 20, max_unique_ips: 2,
      expiration_rfc3339: '2099-01-01T00:00:00.000Z',
    });
    expect((await req('GET', '/v1/stats/users')).json?.data).toHaveLength(2);
    const ips = await req('GET', '/v1/stats/users/active-ips');
    expect(ips.json?.data).toEqual([{ username: 'alice', active_ips: ['127.0.0.1'] }]);
    const sum = await req('GET', '/v1/stats/summary');
    expect(sum.json?.data).toMatchObject({ configured_users: 2, uptime_seconds: expect.any(Number), connections_bad_total: expect.any(Number) });
  });

  it('creates users (201 {user, secret}), generated or given secret, user_exists, bad username', async () => {
    const { req, relay } = await setup();
    const made = await req('POST', '/v1/users', { body: { username: 'carol', max_tcp_conns: 2 } });
    expect(made.status).toBe(201);
    expect(made.json?.data.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(made.json?.data.user).toMatchObject({ username: 'carol', max_tcp_conns: 2, in_runtime: true, enabled: true });
    const given = await req('POST', '/v1/users', { body: { username: 'dave', secret: CAROL.replace(/-/g, '').toUpperCase(), enabled: false } });
    expect([given.status, given.json?.data.secret, given.json?.data.user.enabled]).toEqual([201, CAROL.replace(/-/g, ''), false]);
    expect((await req('POST', '/v1/users', { body: { username: 'alice' } })).json?.error?.code).toBe('user_exists');
    expect((await req('POST', '/v1/users', { body: { username: 'b ad' } })).status).toBe(400);
    expect((await req('POST', '/v1/users', { body: { username: 'eve', secret: 'zz' } })).status).toBe(400);
    // The new user can connect at once (live).
    clients.push(await liveClient(relay.port, made.json!.data.user.links.classic[0].slice(8, 44), echo.port));
  });

  it('gets, merge-patches and deletes; the last user cannot be deleted', async () => {
    const { req } = await setup();
    expect((await req('GET', '/v1/users/alice')).json?.data.username).toBe('alice');
    let p = await req('PATCH', '/v1/users/alice', { body: { max_tcp_conns: 4, data_quota_bytes: 99 } });
    expect(p.json?.data).toMatchObject({ max_tcp_conns: 4, data_quota_bytes: 99 });
    p = await req('PATCH', '/v1/users/alice', { body: { max_tcp_conns: null } });
    expect(p.json?.data.max_tcp_conns).toBeUndefined();
    expect(p.json?.data.data_quota_bytes).toBe(99);
    expect((await req('PATCH', '/v1/users/zed', { body: {} })).status).toBe(404);
    expect((await req('PATCH', '/v1/users/alice', { body: { max_tcp_conns: -1 } })).status).toBe(400);
    const del = await req('DELETE', '/v1/users/bob');
    expect([del.status, del.json?.data]).toEqual([200, { username: 'bob', in_runtime: true }]);
    expect((await req('DELETE', '/v1/users/zed')).status).toBe(404);
    const last = await req('DELETE', '/v1/users/alice');
    expect([last.status, last.json?.error?.code]).toEqual([409, 'last_user_forbidden']);
  });

  it('rotates secrets, enables/disables (killing sessions) and resets quotas', async () => {
    const { req, relay } = await setup();
    const bob = await liveClient(relay.port, BOB, echo.port);
    clients.push(bob);
    const rot = await req('POST', '/v1/users/alice/rotate-secret');
    expect(rot.status).toBe(200);
    expect(rot.json?.data.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(rot.json?.data.secret).not.toBe(ALICE.replace(/-/g, ''));
    const set = await req('POST', '/v1/users/alice/rotate-secret', { body: { secret: CAROL.replace(/-/g, '') } });
    expect(set.json?.data.secret).toBe(CAROL.replace(/-/g, ''));
    const dis = await req('POST', '/v1/users/bob/disable');
    expect(dis.json?.data).toMatchObject({ username: 'bob', enabled: false });
    await bob.closed;
    expect((await req('POST', '/v1/users/bob/enable')).json?.data.enabled).toBe(true);
    clients.push(await liveClient(relay.port, BOB, echo.port));
    await waitFor(async () => (await req('GET', '/v1/users/bob')).json?.data.total_octets > 0, 5000, 'counted bytes');
    const reset = await req('POST', '/v1/users/bob/reset-quota');
    expect(reset.json?.data).toEqual({ username: 'bob', used_bytes: 0, last_reset_epoch_secs: expect.any(Number) });
    expect(Math.abs(reset.json!.data.last_reset_epoch_secs - Date.now() / 1000)).toBeLessThan(5);
    expect((await req('POST', '/v1/users/zed/enable')).status).toBe(404);
  });

  it('honours If-Match (trimmed, quotes stripped); a stale revision is a 409 revision_conflict', async () => {
    const { req } = await setup();
    const rev = (await req('GET', '/v1/users')).json!.revision!;
    expect(rev).toMatch(HEX64);
    const ok = await req('PATCH', '/v1/users/alice', { body: { max_unique_ips: 1 }, headers: { 'if-match': ` "${rev}" ` } });
    expect(ok.status).toBe(200);
    expect(ok.json?.revision).not.toBe(rev);
    const stale = await req('POST', '/v1/users', { body: { username: 'carol' }, headers: { 'if-match': rev } });
    expect([stale.status, stale.json?.error?.code, stale.json?.revision]).toEqual([409, 'revision_conflict', undefined]);
    expect((await req('GET', '/v1/users/carol')).status).toBe(404);
    const now = (await req('GET', '/v1/health')).json!.revision!;
    expect(now).toBe(ok.json?.revision);
    expect((await req('DELETE', '/v1/users/bob', { headers: { 'if-match': now } })).status).toBe(200);
  });

  it('serves the relay named by ?instance=, 404 for an unknown one', async () => {
    const { req } = await setup();
    const other = await startRelay(h!, 'relay2');
    await req('DELETE', '/v1/users/bob?instance=relay2');
    expect((await req('GET', `/v1/users?instance=${other.id}`)).json?.data).toHaveLength(1);
    expect((await req('GET', '/v1/users')).json?.data).toHaveLength(2);
    expect((await req('GET', '/v1/users?instance=nope')).json?.error?.code).toBe('not_found');
  });
});
