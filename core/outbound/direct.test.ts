import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { closeServer, leakGuard, listen, testMeta } from '../test/route-rig';
import { createDirectOutbound, dialError, dialErrorCode } from './direct';

let guard: ReturnType<typeof leakGuard>;
beforeEach(() => { guard = leakGuard(); });
afterEach(() => guard.check());

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('dialErrorCode', () => {
  it.each([
    ['ECONNREFUSED', 'E_DIAL_REFUSED'], ['EHOSTUNREACH', 'E_DIAL_UNREACHABLE'], ['ENETUNREACH', 'E_DIAL_NETWORK'],
    ['EADDRNOTAVAIL', 'E_DIAL_NETWORK'], ['ENOTFOUND', 'E_DIAL_DNS'], ['EAI_AGAIN', 'E_DIAL_DNS'], ['EAI_FAIL', 'E_DIAL_DNS'],
    ['ETIMEDOUT', 'E_DIAL_TIMEOUT'], ['ECONNRESET', 'E_DIAL_RESET'], ['EPROTO', 'E_DIAL_FAILED'],
  ])('%s → %s', (code, expected) => expect(dialErrorCode(errno(code))).toBe(expected));

  it('reads the first error of an AggregateError (autoSelectFamily)', () => {
    expect(dialErrorCode(new AggregateError([errno('ENETUNREACH'), errno('ECONNREFUSED')]))).toBe('E_DIAL_NETWORK');
  });

  it('names the destination in the message', () => {
    expect(dialError(errno('ETIMEDOUT'), '::1', 8080).message).toBe('connect [::1]:8080 timed out');
    expect(dialError(errno('EPROTO'), 'a.b', 1).message).toBe('connect a.b:1 failed: EPROTO');
  });
});

describe('direct dialTcp', () => {
  it('connects, paused and half-open capable', async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => s.end('hi'));
    const port = await listen(server);
    const socket = await createDirectOutbound().dialTcp(testMeta({ host: '127.0.0.1', port }));
    expect(socket.readableFlowing).toBe(false);
    expect(socket.allowHalfOpen).toBe(true);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks).toEqual([]);
    socket.resume();
    await new Promise((r) => socket.once('end', r));
    expect(Buffer.concat(chunks).toString()).toBe('hi');
    socket.destroy();
    await closeServer(server);
  });

  it('refused on a closed port → E_DIAL_REFUSED naming the destination', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await closeServer(server);
    const err = await createDirectOutbound().dialTcp(testMeta({ host: '127.0.0.1', port })).catch((e) => e);
    expect(isCoreError(err, 'E_DIAL_REFUSED')).toBe(true);
    expect(err.message).toBe(`connect 127.0.0.1:${port} refused`);
  });

  it('an abort before connecting rejects and leaves no socket behind', async () => {
    const server = net.createServer((s) => s.destroy());
    const port = await listen(server);
    const ac = new AbortController();
    const p = createDirectOutbound().dialTcp(testMeta({ host: '127.0.0.1', port }), ac.signal);
    ac.abort();
    const err = await p.catch((e) => e);
    expect(isCoreError(err, 'E_DIAL_FAILED')).toBe(true);
    expect(err.message).toMatch(/aborted/);
    await expect(createDirectOutbound().dialTcp(testMeta({ host: '127.0.0.1', port }), ac.signal)).rejects.toThrow(/aborted/);
    await closeServer(server);
  });
});

describe('direct dialTcpCancellable', () => {
  it('connects like dialTcp; cancel() after the connect changes nothing', async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => s.end('hi'));
    const port = await listen(server);
    const dial = createDirectOutbound().dialTcpCancellable(testMeta({ host: '127.0.0.1', port }));
    const socket = await dial.promise;
    dial.cancel(new Error('too late'));
    expect(socket.destroyed).toBe(false);
    expect(socket.readableFlowing).toBe(false);
    const got = new Promise<string>((r) => socket.once('data', (c: Buffer) => r(c.toString())));
    socket.resume();
    expect(await got).toBe('hi');
    socket.destroy();
    await closeServer(server);
  });

  it('cancel() while connecting rejects with E_DIAL_FAILED "aborted" and leaves no socket or timer behind', async () => {
    const server = net.createServer((s) => s.destroy());
    const port = await listen(server);
    const dial = createDirectOutbound({ connectTimeoutMs: 60_000 }).dialTcpCancellable(testMeta({ host: '127.0.0.1', port }));
    const reason = new Error('client closed');
    dial.cancel(reason);
    dial.cancel(new Error('twice'));
    const err = await dial.promise.catch((e) => e);
    expect(isCoreError(err, 'E_DIAL_FAILED')).toBe(true);
    expect(err.message).toBe(`connect 127.0.0.1:${port} aborted`);
    expect(err.cause).toBe(reason);
    await closeServer(server);
  });
});

describe('direct openUdp', () => {
  it('sends to IP and domain destinations and delivers replies with their sender', async () => {
    const { address: localhostIp, family } = await dns.promises.lookup('localhost');
    const echo = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    echo.on('message', (msg, rinfo) => echo.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
    await new Promise<void>((r) => echo.bind(0, localhostIp, () => r()));
    const port = echo.address().port;
    const conn = await createDirectOutbound().openUdp(testMeta({ host: localhostIp, port }, { network: 'udp' }));
    const got: string[] = [];
    const two = new Promise<void>((resolve) => {
      conn.onMessage((payload, from) => {
        got.push(`${payload.toString()} from ${from.host}:${from.port}`);
        if (got.length === 2) resolve();
      });
    });
    conn.send(Buffer.from('a'), { host: localhostIp, port });
    conn.send(Buffer.from('b'), { host: 'localhost', port });
    await two;
    expect(got.sort()).toEqual([`echo:a from ${localhostIp}:${port}`, `echo:b from ${localhostIp}:${port}`]);
    conn.close();
    conn.close();
    conn.send(Buffer.from('late'), { host: localhostIp, port });
    await new Promise<void>((r) => echo.close(() => r()));
  });
});
