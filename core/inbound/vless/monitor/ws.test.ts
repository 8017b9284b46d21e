import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VlessInboundSpec } from '../../../rpc';
import { leakGuard } from '../../../test/route-rig';
import { monitorWs, type MonitorWs } from '../../../test/monitor-client';
import { ALICE, cleanupVlessRigDirs, relayUser, startVlessRig, type VlessRig } from '../../../test/vless-in-harness';
import { createVlessMonitor, type VlessMonitor } from './attach';
import type { MonitorData, SpeedHistory } from './figures';
import { ConnectionCounter } from './pools';
import type { MonitorServerOptions } from './server';

const open: { close(): unknown }[] = [];
const clients: MonitorWs[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const o of open.splice(0).reverse()) await o.close();
  delete process.env.VLESS_MONITOR_ORIGIN;
});
afterAll(() => cleanupVlessRigDirs());

async function rig(): Promise<VlessRig> {
  const r = await startVlessRig({ users: [relayUser('alice', ALICE)] });
  open.push(r);
  return r;
}

/** A second monitor with test options installed as the rig's fallback. */
function customMonitor(r: VlessRig, opts: MonitorServerOptions): VlessMonitor {
  const spec = VlessInboundSpec.parse({ type: 'vless', users: [relayUser('alice', ALICE)] });
  const m = createVlessMonitor({ runner: r.runner, spec, ctx: { instanceId: 'relay1', accounting: r.collector }, connections: new ConnectionCounter() }, opts);
  m.start();
  r.runner.setFallbackHandler(m.handler);
  open.push(m);
  return m;
}

async function ws(port: number, path: string, opts: Parameters<typeof monitorWs>[2] = {}): Promise<MonitorWs> {
  const c = await monitorWs(port, path, opts);
  clients.push(c);
  return c;
}

describe('monitor WebSocket', () => {
  it('sends history first, then stats every broadcast interval, on /api/ws and /ws', async () => {
    const r = await rig();
    for (const path of ['/api/ws', '/ws']) {
      const c = await ws(r.port, path);
      await c.waitMessages(2, 3000);
      expect(c.messages[0]!.type).toBe('history');
      const h = c.messages[0]!.payload as SpeedHistory;
      expect(h.duration_seconds).toBe(60);
      expect(Array.isArray(h.history)).toBe(true);
      expect(c.messages[1]!.type).toBe('stats');
      const s = c.messages[1]!.payload as MonitorData;
      expect(s.upload_speed).toMatch(/^\d+\.\d{2} (B|KB|MB|GB|TB)\/s$/);
      expect(s.connection_pool.total_created).toBe(0);
      expect(s.memory_pool.large_pool.buffer_size).toBe(131072);
      expect(s.users).toHaveLength(1);
    }
  });

  it('refuses a wrong Origin when VLESS_MONITOR_ORIGIN is set (404 as VLESS-Rust)', async () => {
    process.env.VLESS_MONITOR_ORIGIN = 'https://panel.example';
    const r = await rig();
    await expect(monitorWs(r.port, '/api/ws', { origin: 'https://evil.example' })).rejects.toThrow('upgrade answered 404');
    const ok = await ws(r.port, '/api/ws', { origin: 'https://panel.example' });
    await ok.waitMessages(1);
    expect(ok.messages[0]!.type).toBe('history');
    await expect(monitorWs(r.port, '/other', {})).rejects.toThrow('upgrade answered 404');
  });

  it('closes connections over the cap with 1011 "Server full"', async () => {
    const r = await rig();
    customMonitor(r, { maxWsConnections: 2, broadcastIntervalMs: 50 });
    const a = await ws(r.port, '/api/ws');
    const b = await ws(r.port, '/ws');
    const extra = await ws(r.port, '/api/ws');
    expect(await extra.closed).toEqual({ code: 1011, reason: 'Server full' });
    await a.waitMessages(2);
    await b.waitMessages(2);
    a.ws.close();
    await a.closed;
    const again = await ws(r.port, '/api/ws');
    await again.waitMessages(2);
    expect(again.messages.map((m) => m.type)).toEqual(['history', 'stats']);
  });

  it('drops a client that answers no ping within the heartbeat timeout', async () => {
    const r = await rig();
    customMonitor(r, { heartbeatTimeoutMs: 300, pingIntervalMs: 100, broadcastIntervalMs: 50 });
    const silent = await ws(r.port, '/api/ws', { autoPong: false });
    const alive = await ws(r.port, '/api/ws');
    const t0 = Date.now();
    const { code } = await silent.closed;
    expect(code).toBe(1006);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    await new Promise((res) => setTimeout(res, 400));
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
  });

  it('closes every client, timer and socket when the relay closes', async () => {
    const guard = leakGuard(2000);
    const r = await startVlessRig({ users: [relayUser('alice', ALICE)] });
    const c = await monitorWs(r.port, '/api/ws');
    const d = await monitorWs(r.port, '/ws');
    await c.waitMessages(2);
    await r.close();
    expect((await c.closed).code).toBe(1006);
    expect((await d.closed).code).toBe(1006);
    await guard.check();
  });
});
