import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../../route/splice';
import { lateDirect, rawClient, startMixed, warnings } from '../../test/mixed-harness';
import { mixedSuite } from '../../test/mixed-suite';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const GREETING = hex('05 01 00');
function connectTo(port: number, ip = '127.0.0.1'): Buffer {
  const p = [port >> 8, port & 255];
  if (ip === '::1') return Buffer.from([5, 1, 0, 4, ...Buffer.alloc(15), 1, ...p]);
  return Buffer.from([5, 1, 0, 1, ...ip.split('.').map(Number), ...p]);
}
function connectToName(name: string, port: number): Buffer {
  return Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), Buffer.from(name), Buffer.from([port >> 8, port & 255])]);
}

/** A TCP echo server on loopback that counts what it received. */
async function echoServer(host = '127.0.0.1'): Promise<{ port: number; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('data', (d) => {
      received += d.length;
      s.write(d);
    });
    s.on('end', () => s.end());
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

describe.skipIf(!nativeAvailable())('native SOCKS5 front', () => {
  const suite = mixedSuite('native');

  it('relays on the native thread with exact byte counts, and closeConnection ends the relay', async () => {
    const r = await suite.start();
    const echo = await echoServer();
    try {
      const c = await rawClient(r.port);
      c.write(Buffer.concat([GREETING]));
      expect(await c.read(2)).toEqual(hex('05 00'));
      c.write(connectTo(echo.port));
      expect((await c.read(10)).subarray(0, 8)).toEqual(hex('05 00 00 01 7f000001'));
      const chunk = Buffer.alloc(300_000, 7);
      c.write(chunk);
      expect((await c.read(chunk.length)).equals(chunk)).toBe(true);
      await r.stats.waitOpened(1);
      const conn = r.stats.openedConns[0]!;
      expect(conn.meta).toMatchObject({ inbound: 'socks5', user: null, destination: { host: '127.0.0.1', port: echo.port } });
      expect(conn.sample()).toEqual([chunk.length, chunk.length]);
      r.relay.closeAll('closed by the test');
      await c.closed;
      await r.stats.waitClosed(1);
      expect(r.stats.finalSamples.get(conn)).toEqual([chunk.length, chunk.length]);
      expect(echo.received()).toBe(chunk.length);
      expect(warnings(r)).toEqual([]);
    } finally {
      await echo.close();
    }
  });

  it('resolves names itself, and answers 0x04 for one that does not resolve', async () => {
    const r = await suite.start();
    const echo = await echoServer();
    try {
      const ok = await rawClient(r.port);
      ok.write(Buffer.concat([GREETING, connectToName('localhost', echo.port)]).subarray(0, 3));
      expect(await ok.read(2)).toEqual(hex('05 00'));
      ok.write(connectToName('localhost', echo.port));
      expect((await ok.read(10))[1]).toBe(0);
      ok.write('ping');
      expect((await ok.read(4)).toString()).toBe('ping');
      ok.socket.end();
      await ok.closed;

      const bad = await rawClient(r.port);
      bad.write(GREETING);
      expect(await bad.read(2)).toEqual(hex('05 00'));
      bad.write(connectToName('no-such-host.invalid', 80));
      expect(await bad.read(10)).toEqual(hex('05 04 00 01 00000000 0000'));
      await bad.closed;
      expect(r.logs.entries({ limit: 100, level: 'info' }).map((e) => e.message).join('\n')).toMatch(/no-such-host\.invalid:80 name not resolved \(E_DIAL_DNS\)/);
      await r.stats.waitClosed(1);
      expect(r.stats.openedConns).toHaveLength(1);
    } finally {
      await echo.close();
    }
  });

  it('hands requests routed to another outbound to the JS dial, with the same meta', async () => {
    const r = await suite.start({}, { mode: 'rule', lanBypass: false, rules: [{ type: 'dst_port', value: String(suite.origin.port), outbound: 'late' }] }, [lateDirect(20)]);
    const c = await rawClient(r.port);
    c.write(GREETING);
    expect(await c.read(2)).toEqual(hex('05 00'));
    c.write(connectTo(suite.origin.port));
    expect((await c.read(10))[1]).toBe(0);
    c.write('GET /late HTTP/1.0\r\n\r\n');
    expect((await c.readAll()).toString()).toMatch(/hello \/late$/);
    await r.stats.waitClosed(1);
    const conn = r.stats.closedConns[0]!;
    expect([conn.meta.id, conn.outbound]).toEqual(['c1', 'late']);
    expect(r.stats.finalSamples.get(conn)![0]).toBe('GET /late HTTP/1.0\r\n\r\n'.length);
  });

  it('closes its relays, requests in flight and handshakes with the inbound, leaving no descriptor', async () => {
    const r = await suite.start({}, { mode: 'rule', lanBypass: false, rules: [{ type: 'dst_port', value: '9', outbound: 'late' }] }, [lateDirect(300)]);
    const echo = await echoServer();
    try {
      const relayed = await rawClient(r.port);
      relayed.write(GREETING);
      await relayed.read(2);
      relayed.write(connectTo(echo.port));
      await relayed.read(10);
      const waiting = await rawClient(r.port);
      waiting.write(Buffer.concat([GREETING, connectTo(9)]));
      await waiting.read(2);
      const greeting = await rawClient(r.port);
      greeting.write(hex('05'));
      await r.stats.waitOpened(1);
      await r.inbound.close();
      await Promise.all([relayed.closed, greeting.closed, waiting.closed]);
      await r.stats.waitClosed(1);
      await expect(rawClient(r.port)).rejects.toThrow(/ECONNREFUSED/);
      await new Promise((res) => setTimeout(res, 400)); // the late dial ends (and is dropped) within the test
    } finally {
      await echo.close();
    }
  });

  it('ends an idle native relay after idleTimeoutMs', async () => {
    const r = await suite.start({ idleTimeoutMs: 1000 });
    const echo = await echoServer();
    try {
      const c = await rawClient(r.port);
      c.write(Buffer.concat([GREETING]));
      await c.read(2);
      c.write(connectTo(echo.port));
      await c.read(10);
      const lasted = await c.closed;
      expect(lasted).toBeGreaterThanOrEqual(900);
      expect(lasted).toBeLessThan(5000);
      await r.stats.waitClosed(1); // the client may see the close before JS has heard of it
      expect(r.logs.entries({ limit: 100, level: 'debug' }).map((e) => e.message).join('\n')).toMatch(/closed \(native relay: idle timeout\)/);
    } finally {
      await echo.close();
    }
  });

  it('listens on IPv6 and connects to IPv6 destinations', async () => {
    const r = await suite.start({ listen: '[::1]:0' });
    const echo = await echoServer('::1');
    try {
      expect(r.address).toMatch(/^\[::1\]:\d+$/);
      const c = await rawClient(r.port, '::1');
      c.write(GREETING);
      await c.read(2);
      c.write(connectTo(echo.port, '::1'));
      const reply = await c.read(22);
      expect(reply.subarray(0, 4)).toEqual(hex('05 00 00 04'));
      c.write('six');
      expect((await c.read(3)).toString()).toBe('six');
      expect(r.stats.openedConns[0]!.meta.source.address).toBe('::1');
    } finally {
      await echo.close();
    }
  });

  it('refuses a port in use with E_LISTEN_ADDRINUSE', async () => {
    const r = await suite.start();
    const other = await startMixed({ listen: r.address }).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'E_LISTEN_ADDRINUSE', message: `${r.address} is already in use by another program` });
  });
});
