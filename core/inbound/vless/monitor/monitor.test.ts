import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { monitorGet, monitorJson } from '../../../test/monitor-client';
import {
  ALICE, BOB, cleanupVlessRigDirs, rawClient, relayUser, startEcho, startVlessRig, until, userBytes, vlessHeader, type VlessRig,
} from '../../../test/vless-in-harness';
import type { MonitorData, SpeedHistory, UserMonitorData } from './figures';
import { formatBytes } from './format';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
afterAll(() => cleanupVlessRigDirs());

async function rig(users = [relayUser('alice', ALICE, { email: 'alice@example.com', maxConnections: 4 }), relayUser('bob', BOB, { maxConnections: 2 })]): Promise<VlessRig> {
  const r = await startVlessRig({ users });
  open.push(r);
  return r;
}

const SPEED = /^\d+\.\d{2} (B|KB|MB|GB|TB)\/s$/;
const BYTES = /^\d+\.\d{2} (B|KB|MB|GB|TB)$/;
const DURATION = /^(\d+d \d+h \d+m \d+s|\d+h \d+m \d+s|\d+m \d+s|\d+s)$/;
const USER_SPEED = /^(0 B\/s|\d+\.\d{2} (B|KB|MB|GB|TB)\/s)$/;

function expectUser(u: UserMonitorData): void {
  expect(Object.keys(u).sort()).toEqual(['active_connections', 'download_speed', 'email', 'total_traffic', 'upload_speed', 'uuid']);
  expect(u.upload_speed).toMatch(USER_SPEED);
  expect(u.download_speed).toMatch(USER_SPEED);
  expect(u.total_traffic).toMatch(BYTES);
}

describe('VLESS-Rust monitor API on the relay port', () => {
  it('serves /api/stats in the document shape and formats', async () => {
    const r = await rig();
    const s = await monitorJson<MonitorData>(r.port, '/api/stats');
    expect(Object.keys(s).sort()).toEqual([
      'active_connections', 'connection_pool', 'download_speed', 'max_connections', 'memory_pool', 'memory_usage',
      'total_memory', 'total_traffic', 'upload_speed', 'uptime', 'users',
    ]);
    expect(s.upload_speed).toBe('0.00 B/s');
    expect(s.download_speed).toMatch(SPEED);
    expect(s.total_traffic).toBe('0.00 B');
    expect(s.uptime).toMatch(DURATION);
    expect(s.memory_usage).toMatch(BYTES);
    expect(s.memory_usage).not.toBe('0.00 B');
    expect(s.total_memory).toMatch(BYTES);
    expect(s.active_connections).toBe(0);
    expect(s.max_connections).toBe(6);
    expect(s.users).toEqual([
      { uuid: ALICE, email: 'alice@example.com', upload_speed: '0 B/s', download_speed: '0 B/s', total_traffic: '0.00 B', active_connections: 0 },
      { uuid: BOB, email: null, upload_speed: '0 B/s', download_speed: '0 B/s', total_traffic: '0.00 B', active_connections: 0 },
    ]);
    expect(Object.keys(s.connection_pool).sort()).toEqual([
      'cache_hits', 'cache_misses', 'current_active', 'current_idle', 'hit_rate', 'total_closed', 'total_created', 'total_reused',
    ]);
    for (const name of ['small_pool', 'medium_pool', 'large_pool'] as const) {
      const p = s.memory_pool[name];
      expect(Object.keys(p).sort()).toEqual(['buffer_size', 'current_size', 'peak_size', 'total_allocated', 'total_returned']);
      expect(p.peak_size).toBeGreaterThanOrEqual(p.current_size);
    }
    expect(s.memory_pool.small_pool.buffer_size).toBe(4096);
    expect(s.memory_pool.small_pool.current_size).toBeGreaterThan(0);
    expect(s.memory_pool.medium_pool.buffer_size).toBe(65536);
    expect(s.memory_pool.large_pool.buffer_size).toBe(131072);
  });

  it('serves the other endpoints and 404s unknown paths', async () => {
    const r = await rig();
    expect(await monitorJson(r.port, '/api/config')).toEqual({
      speed_history_duration: 60, broadcast_interval: 1, websocket_max_connections: 300, websocket_heartbeat_timeout: 60, vless_max_connections: 6,
    });
    const perf = await monitorJson<Record<string, unknown>>(r.port, '/api/performance');
    expect(Object.keys(perf).sort()).toEqual(['buffer_size', 'stats_batch_size', 'tcp_nodelay', 'tcp_recv_buffer', 'tcp_send_buffer']);
    expect(perf.tcp_nodelay).toBe(true);
    expect(perf.buffer_size).toBe(65536);
    const users = await monitorJson<UserMonitorData[]>(r.port, '/api/user-stats');
    expect(users.map((u) => u.uuid)).toEqual([ALICE, BOB]);
    users.forEach(expectUser);
    await monitorJson(r.port, '/api/stats?t=1');
    const h = await monitorJson<SpeedHistory>(r.port, '/api/speed-history');
    expect(h.duration_seconds).toBe(60);
    expect(h.history.length).toBeGreaterThanOrEqual(1);
    for (const p of h.history) {
      expect(Object.keys(p).sort()).toEqual(['download_speed', 'timestamp', 'upload_speed']);
      expect(p.timestamp).toMatch(/^\d+$/);
      expect(p.upload_speed).toMatch(SPEED);
    }
    expect(await monitorJson(r.port, '/api/connection-pool-stats')).toEqual({
      total_created: 0, total_reused: 0, total_closed: 0, current_active: 0, current_idle: 0, cache_hits: 0, cache_misses: 0, hit_rate: 0,
    });
    const mem = await monitorJson<MonitorData['memory_pool']>(r.port, '/api/memory-pool-stats');
    expect(Object.keys(mem).sort()).toEqual(['large_pool', 'medium_pool', 'small_pool']);
    const nf = await monitorGet(r.port, '/api/nope');
    expect(nf.status).toBe(404);
    expect(nf.body).toBe('Not Found\n');
    expect((await monitorGet(r.port, '/')).status).toBe(404);
    expect((await monitorGet(r.port, '/api/stats', 'POST')).status).toBe(405);
  });

  it('shows traffic through the relay in total_traffic, per-user figures and the connection pool', async () => {
    const r = await rig();
    const echo = await startEcho();
    open.push(echo);
    const c = await rawClient(r.port);
    const payload = Buffer.alloc(200_000, 7);
    c.write(Buffer.concat([vlessHeader(ALICE, echo.port), payload]));
    await c.waitBytes(2 + payload.length);
    const live = await monitorJson<MonitorData>(r.port, '/api/stats');
    expect(live.active_connections).toBe(1);
    expect(live.users[0]!.active_connections).toBe(1);
    expect(live.connection_pool).toMatchObject({ total_created: 1, total_closed: 0, current_active: 1, cache_misses: 1 });
    await until(() => userBytes(r, 'alice').up >= payload.length && userBytes(r, 'alice').down >= payload.length, 'alice counted');
    const mid = await monitorJson<MonitorData>(r.port, '/api/stats');
    const a = userBytes(r, 'alice');
    expect(mid.users[0]!.total_traffic).toBe(formatBytes(a.up + a.down));
    expect(mid.users[0]!.total_traffic).toBe('390.63 KB');
    expect(mid.users[1]!.total_traffic).toBe('0.00 B');
    const inst = r.collector.latest().instances.relay1!;
    expect(mid.total_traffic).toBe(formatBytes(inst.totalUp + inst.totalDown));
    expect(inst.totalUp + inst.totalDown).toBeGreaterThanOrEqual(2 * payload.length);
    c.end();
    await c.closed;
    await until(() => r.runner.users()[0]!.connections === 0, 'alice gone');
    await until(() => r.collector.latest().instances.relay1!.connections === 0, 'collector saw the close');
    const after = await monitorJson<MonitorData>(r.port, '/api/stats');
    expect(after.active_connections).toBe(0);
    expect(after.connection_pool).toMatchObject({ total_created: 1, total_closed: 1, current_active: 0 });
  });

  it('computes per-user speeds from the live connections', async () => {
    const r = await rig();
    const echo = await startEcho();
    open.push(echo);
    const c = await rawClient(r.port);
    c.write(vlessHeader(BOB, echo.port));
    await c.waitBytes(2);
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    const pump = setInterval(() => {
      c.write(chunk);
      sent += chunk.length;
    }, 10);
    try {
      let seen: UserMonitorData | undefined;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        seen = (await monitorJson<UserMonitorData[]>(r.port, '/api/user-stats'))[1];
        if (seen && seen.upload_speed !== '0 B/s') break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(seen!.upload_speed).toMatch(/^\d+\.\d{2} (KB|MB|GB)\/s$/);
      expect(seen!.active_connections).toBe(1);
      expect(sent).toBeGreaterThan(0);
    } finally {
      clearInterval(pump);
      c.destroy();
    }
  });
});
