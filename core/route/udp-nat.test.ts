import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Destination, Outbound } from '../adapter';
import { LogBus } from '../log/logger';
import { createDirectOutbound } from '../outbound/direct';
import { RouteSettings, type Rule } from '../rpc';
import { builtinOutbounds, leakGuard, testMeta } from '../test/route-rig';
import { StatsRecorder } from '../test/route-stats-recorder';
import { createRelay, type EngineRelay } from './relay';
import { createRouter } from './router';

let guard: ReturnType<typeof leakGuard>;
let echo: dgram.Socket;
let echoPort: number;
let stats: StatsRecorder;
let logs: LogBus;
let relay: EngineRelay;
let outbounds: Map<string, Outbound>;

async function setup(rules: Rule[] = []) {
  const settings = RouteSettings.parse({ mode: 'rule', lanBypass: false, rules });
  const router = createRouter({ settings: () => settings, outbound: (t) => outbounds.get(t), log: logs.logger('route') });
  relay = createRelay({ router, stats, log: logs.logger('relay') });
}

beforeEach(async () => {
  guard = leakGuard();
  stats = new StatsRecorder();
  logs = new LogBus({ level: 'debug', capacity: 500 });
  outbounds = builtinOutbounds();
  outbounds.set('other', { ...createDirectOutbound(), tag: 'other' });
  echo = dgram.createSocket('udp4');
  echo.on('message', (msg, rinfo) => echo.send(Buffer.concat([Buffer.from('re:'), msg]), rinfo.port, rinfo.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
  echoPort = echo.address().port;
});

afterEach(async () => {
  relay.closeAll('test done');
  await new Promise<void>((r) => echo.close(() => r()));
  await guard.check();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collector() {
  const replies: string[] = [];
  const waiters: (() => void)[] = [];
  return {
    replies,
    onReply: (payload: Buffer, from: Destination) => {
      replies.push(`${payload.toString()} from ${from.host}:${from.port}`);
      waiters.splice(0).forEach((w) => w());
    },
    async until(n: number, timeoutMs = 3000) {
      const end = Date.now() + timeoutMs;
      while (replies.length < n) {
        if (Date.now() > end) throw new Error(`only ${replies.length} of ${n} replies`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 20);
        });
      }
    },
  };
}

describe('relay.udp', () => {
  it('relays datagrams and replies through one NAT entry and counts payload bytes', async () => {
    await setup();
    const c = collector();
    const assoc = relay.udp(testMeta({ host: '0.0.0.0', port: 0 }, { id: 'u1', network: 'udp' }), c.onReply, { idleTimeoutMs: 5000 });
    const to = { host: '127.0.0.1', port: echoPort };
    assoc.send(Buffer.from('one'), to);
    assoc.send(Buffer.from('two!'), to);
    await c.until(2);
    expect(c.replies.sort()).toEqual([`re:one from 127.0.0.1:${echoPort}`, `re:two! from 127.0.0.1:${echoPort}`]);
    expect(stats.openedConns).toHaveLength(1);
    const entry = stats.openedConns[0]!;
    expect(entry.meta.network).toBe('udp');
    expect(entry.meta.destination).toEqual(to);
    expect([entry.rule, entry.outbound]).toEqual(['final', 'direct']);
    expect(entry.sample()).toEqual([7, 13]);
    assoc.close();
    assoc.close();
    expect(stats.closedConns).toEqual([entry]);
    expect(stats.finalSamples.get(entry)).toEqual([7, 13]);
    stats.assertBalanced();
  });

  it('keeps one entry per outbound tag', async () => {
    await setup([{ type: 'dst_port', value: String(echoPort), outbound: 'other' }]);
    const c = collector();
    const assoc = relay.udp(testMeta({ host: '0.0.0.0', port: 0 }, { id: 'u2', network: 'udp' }), c.onReply, { idleTimeoutMs: 5000 });
    const other = dgram.createSocket('udp4');
    other.on('message', (msg, rinfo) => other.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((r) => other.bind(0, '127.0.0.1', () => r()));
    assoc.send(Buffer.from('a'), { host: '127.0.0.1', port: echoPort });
    assoc.send(Buffer.from('b'), { host: '127.0.0.1', port: other.address().port });
    assoc.send(Buffer.from('c'), { host: '127.0.0.1', port: echoPort });
    await c.until(3);
    expect(stats.openedConns.map((e) => `${e.outbound} ${e.rule}`).sort()).toEqual(['direct final', `other dst_port(${echoPort})`]);
    expect(new Set(stats.openedConns.map((e) => e.meta.id)).size).toBe(2);
    expect(relay.activeCount()).toBe(2);
    assoc.close();
    expect(stats.closedConns).toHaveLength(2);
    await new Promise<void>((r) => other.close(() => r()));
  });

  it('expires an idle entry and opens a fresh one for the next datagram', async () => {
    await setup();
    const c = collector();
    const assoc = relay.udp(testMeta({ host: '0.0.0.0', port: 0 }, { id: 'u3', network: 'udp' }), c.onReply, { idleTimeoutMs: 100 });
    const to = { host: '127.0.0.1', port: echoPort };
    for (let i = 0; i < 4; i++) {
      assoc.send(Buffer.from(`k${i}`), to);
      await sleep(50);
    }
    expect(stats.closedConns).toHaveLength(0);
    await stats.waitClosed(1, 2000);
    expect(relay.activeCount()).toBe(0);
    expect(stats.finalSamples.get(stats.openedConns[0]!)).toEqual([8, 20]);
    assoc.send(Buffer.from('again'), to);
    await c.until(5);
    expect(stats.openedConns).toHaveLength(2);
    assoc.close();
    stats.assertBalanced();
  });

  it('drops datagrams to blocked destinations without opening an entry', async () => {
    await setup([{ type: 'dst_port', value: '9', outbound: 'block' }]);
    const c = collector();
    const assoc = relay.udp(testMeta({ host: '0.0.0.0', port: 0 }, { id: 'u4', network: 'udp' }), c.onReply, { idleTimeoutMs: 5000 });
    assoc.send(Buffer.from('nope'), { host: '127.0.0.1', port: 9 });
    assoc.send(Buffer.from('yes'), { host: '127.0.0.1', port: echoPort });
    await c.until(1);
    await sleep(50);
    expect(c.replies).toEqual([`re:yes from 127.0.0.1:${echoPort}`]);
    expect(stats.openedConns.map((e) => e.outbound)).toEqual(['direct']);
    const debug = logs.entries({ limit: 100, level: 'debug' }).map((e) => e.message);
    expect(debug.some((m) => m.includes('127.0.0.1:9 dropped: blocked by dst_port(9)'))).toBe(true);
    expect(logs.entries({ limit: 100, level: 'warn' })).toEqual([]);
    assoc.close();
  });

  it('tracked.close() on an entry ends only that entry; datagrams after close() are ignored', async () => {
    await setup();
    const c = collector();
    const assoc = relay.udp(testMeta({ host: '0.0.0.0', port: 0 }, { id: 'u5', network: 'udp' }), c.onReply, { idleTimeoutMs: 5000 });
    const to = { host: '127.0.0.1', port: echoPort };
    assoc.send(Buffer.from('x'), to);
    await c.until(1);
    stats.openedConns[0]!.close('closed by user');
    expect(stats.closedConns).toHaveLength(1);
    assoc.send(Buffer.from('y'), to);
    await c.until(2);
    expect(stats.openedConns).toHaveLength(2);
    relay.closeAll('shutdown');
    expect(stats.closedConns).toHaveLength(2);
    assoc.send(Buffer.from('z'), to);
    await sleep(50);
    expect(c.replies).toHaveLength(2);
    expect(stats.openedConns).toHaveLength(2);
    stats.assertBalanced();
  });
});
