import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, NP_INSTANCE_KEYS, openEvents, startMaster, type MasterHarness, type SseClient } from '../../test/nodepass-api-harness';

let m: MasterHarness;
const streams: SseClient[] = [];
beforeEach(async () => { m = await startMaster(); });
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await m.close();
});

const GO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

async function events(key = m.key()) {
  const s = await openEvents(m.base, key);
  streams.push(s);
  return s;
}

describe('GET /events', () => {
  it('sends retry, initial frames (******** included), then create → update → delete in order', async () => {
    const port = await freePort();
    const pre = (await m.req('POST', '/instances', { body: { url: `client://127.0.0.1:${port}/127.0.0.1:9?mode=1`, alias: 'pre' } })).json;
    const s = await events();
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream');
    expect(s.headers.get('cache-control')).toBe('no-cache');
    expect(s.headers.get('access-control-allow-origin')).toBe('*');
    await s.waitFor((f) => f.json?.instance?.id === pre.id);
    expect(s.frames[0]).toEqual({ retry: '3000', json: null });
    const initial = s.frames.slice(1, 3);
    expect(initial.map((f) => [f.event, f.json.type, f.json.instance.id])).toEqual([['instance', 'initial', '********'], ['instance', 'initial', pre.id]]);
    expect(Object.keys(initial[0]!.json)).toEqual(['type', 'time', 'instance', 'logs']);
    expect(initial[0]!.json.time).toMatch(GO_TIME);
    expect(initial[0]!.json.logs).toBe('');
    expect(Object.keys(initial[1]!.json.instance)).toEqual(NP_INSTANCE_KEYS);

    const mark = s.frames.length;
    const made = (await m.req('POST', '/instances', { body: { url: `client://127.0.0.1:${await freePort()}/127.0.0.1:9?mode=1` } })).json;
    await s.waitFor((f) => f.json?.type === 'update' && f.json.instance.id === made.id && f.json.instance.status === 'running', 5000, mark);
    await m.req('PATCH', `/instances/${made.id}`, { body: { alias: 'renamed' } });
    await s.waitFor((f) => f.json?.instance?.alias === 'renamed', 5000, mark);
    expect((await m.req('DELETE', `/instances/${made.id}`)).status).toBe(204);
    const del = await s.waitFor((f) => f.json?.type === 'delete', 5000, mark);
    expect(del.json.instance).toMatchObject({ id: made.id, alias: 'renamed' });
    const mine = s.frames.slice(mark).filter((f) => f.json?.instance?.id === made.id).map((f) => f.json.type);
    expect(mine[0]).toBe('create');
    expect(mine.at(-1)).toBe('delete');
    expect(mine.slice(1, -1).every((t: string) => t === 'update' || t === 'log')).toBe(true);
    expect(mine.filter((t: string) => t === 'update').length).toBeGreaterThanOrEqual(2);
  });

  it('streams log frames for an instance and checkpoint updates', async () => {
    const s = await events();
    const made = (await m.req('POST', '/instances', { body: { url: `client://127.0.0.1:${await freePort()}/127.0.0.1:9?mode=1` } })).json;
    await m.req('PATCH', `/instances/${made.id}`, { body: { action: 'restart' } });
    const log = await s.waitFor((f) => f.json?.type === 'log' && f.json.instance.id === made.id);
    expect(log.json.logs).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}\x1b\[3\dm[A-Z]+\x1b\[0m {2}/);
    // NodePass's CHECK_POINT cadence: an update about every 5 s while running.
    const mark = s.frames.length;
    await s.waitFor((f) => f.json?.type === 'update' && f.json.instance.id === made.id, 7000, mark);
  }, 15_000);

  it('rotating the key sends the new key, then shutdown, and ends every stream; the old key is refused', async () => {
    const a = await events();
    const b = await events();
    await a.waitFor((f) => f.json?.type === 'initial');
    await b.waitFor((f) => f.json?.type === 'initial');
    const old = m.key();
    const r = await m.req('PATCH', '/instances/********', { body: { action: 'restart' } });
    for (const s of [a, b]) {
      const upd = await s.waitFor((f) => f.json?.type === 'update' && f.json.instance.id === '********');
      expect(upd.json.instance.url).toBe(r.json.url);
      const shut = await s.waitFor((f) => f.json?.type === 'shutdown');
      expect(shut.json).toEqual({ type: 'shutdown', time: expect.stringMatching(GO_TIME), instance: null, logs: '' });
      await s.ended;
    }
    const refused = await fetch(`${m.base}/events`, { headers: { 'x-api-key': old } });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const fresh = await events(r.json.url);
    expect(fresh.status).toBe(200);
  });

  it('ends open streams with shutdown when the server closes', async () => {
    const s = await events();
    await s.waitFor((f) => f.json?.type === 'initial');
    await m.api.close();
    await s.waitFor((f) => f.json?.type === 'shutdown');
    await s.ended;
  });

  it('drops frames for a subscriber that does not read (bounded buffer), keeps serving the others', async () => {
    const made = (await m.req('POST', '/instances', { body: { url: `client://127.0.0.1:${await freePort()}/127.0.0.1:9?mode=1` } })).json;
    const fast = await events();
    const slow = net.connect(Number(new URL(m.origin).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    slow.on('data', (c: Buffer) => chunks.push(c));
    slow.write(`GET /api/v1/events HTTP/1.1\r\nHost: x\r\nX-API-Key: ${m.key()}\r\n\r\n`);
    await new Promise((r) => slow.once('data', r));
    slow.pause();
    const log = m.engine.logs.logger(`instance:${made.id}`);
    const big = 'x'.repeat(512 * 1024);
    const sent = 100;
    for (let i = 0; i < sent; i++) {
      log.warn(`${i} ${big}`);
      // A reading subscriber keeps up when given the time to.
      if (i % 4 === 3) await fast.waitFor((f) => f.json?.type === 'log' && f.json.logs.includes(`  ${i} x`), 10_000, fast.frames.length - 4);
    }
    slow.resume();
    await new Promise((r) => setTimeout(r, 1000));
    slow.destroy();
    const got = Buffer.concat(chunks).toString().split('"type":"log"').length - 1;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(sent);
    expect(fast.frames.filter((f) => f.json?.type === 'log' && f.json.logs.length > big.length).length).toBe(sent);
  }, 20_000);

  it('405 for other methods', async () => {
    expect((await m.req('POST', '/events')).json).toEqual({ error: 'Method not allowed' });
  });
});
