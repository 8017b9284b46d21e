import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leakGuard } from '../../test/route-rig';
import { rawClient, startMixed, startUdpEcho, type MixedRig, type RawClient } from '../../test/mixed-harness';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
/** A UDP request header built by hand: RSV RSV FRAG ATYP ADDR PORT. */
const v4Header = (port: number, frag = 0) => Buffer.concat([hex(`0000 ${frag.toString(16).padStart(2, '0')} 01 7f000001`), u16(port)]);
const domainHeader = (name: string, port: number) => Buffer.concat([hex('0000 00 03'), Buffer.from([name.length]), Buffer.from(name), u16(port)]);

const ipv6 = await new Promise<boolean>((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve(false));
  s.listen(0, '::1', () => s.close(() => resolve(true)));
});

let guard: ReturnType<typeof leakGuard>;
let rig: MixedRig | undefined;
let echo: { port: number; close(): Promise<void> };
const clients: dgram.Socket[] = [];
beforeEach(async () => {
  guard = leakGuard();
  rig = undefined;
  echo = await startUdpEcho();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await rig?.close();
  await echo.close();
  await guard.check();
});

/** Opens a UDP ASSOCIATE; returns the control connection and the relay's UDP address. */
async function associate(r: MixedRig, declared = hex('01 00000000 0000')): Promise<{ control: RawClient; relayPort: number; relayHost: string }> {
  const control = await rawClient(r.port);
  control.write(Buffer.concat([hex('05 01 00 05 03 00'), declared]));
  expect(await control.read(2)).toEqual(hex('05 00'));
  const reply = await control.read(10);
  expect(reply.subarray(0, 4)).toEqual(hex('05 00 00 01'));
  return { control, relayHost: reply.subarray(4, 8).join('.'), relayPort: reply.readUInt16BE(8) };
}

async function udpClient(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  clients.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

/** The next datagram on `s`, or null after `ms`. */
function nextMessage(s: dgram.Socket, ms = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const onMessage = (m: Buffer) => {
      clearTimeout(timer);
      resolve(m);
    };
    const timer = setTimeout(() => {
      s.off('message', onMessage);
      resolve(null);
    }, ms);
    s.once('message', onMessage);
  });
}

describe('SOCKS5 UDP ASSOCIATE', () => {
  it('relays to an IPv4 and a domain destination and wraps replies with the sender address', async () => {
    const r = (rig = await startMixed());
    const { control, relayHost, relayPort } = await associate(r);
    expect(relayHost).toBe('127.0.0.1');
    const s = await udpClient();

    let reply = nextMessage(s);
    s.send(Buffer.concat([v4Header(echo.port), Buffer.from('ping v4')]), relayPort, relayHost);
    expect(await reply).toEqual(Buffer.concat([v4Header(echo.port), Buffer.from('echo:ping v4')]));

    reply = nextMessage(s);
    s.send(Buffer.concat([domainHeader('localhost', echo.port), Buffer.from('ping name')]), relayPort, relayHost);
    expect(await reply).toEqual(Buffer.concat([v4Header(echo.port), Buffer.from('echo:ping name')]));

    await r.stats.waitOpened(1);
    const entry = r.stats.openedConns[0]!;
    expect(entry.meta).toMatchObject({ inbound: 'socks5', network: 'udp' });
    expect(entry.sample()).toEqual([16, 26]);

    control.socket.end();
    await control.closed;
    await r.stats.waitClosed(1);
    // The association's socket is gone: nothing answers any more.
    reply = nextMessage(s, 300);
    s.send(Buffer.concat([v4Header(echo.port), Buffer.from('late')]), relayPort, relayHost);
    expect(await reply).toBeNull();
  });

  it('drops fragments, garbage, and datagrams from a second port once the client port is learned', async () => {
    const r = (rig = await startMixed());
    const { control, relayHost, relayPort } = await associate(r);
    const first = await udpClient();
    const other = await udpClient();

    let reply = nextMessage(first, 400);
    first.send(Buffer.concat([v4Header(echo.port, 1), Buffer.from('fragment')]), relayPort, relayHost);
    first.send(hex('0000 00 09 00'), relayPort, relayHost);
    expect(await reply).toBeNull();

    reply = nextMessage(first);
    first.send(Buffer.concat([v4Header(echo.port), Buffer.from('a')]), relayPort, relayHost);
    expect((await reply)!.subarray(10).toString()).toBe('echo:a');

    const stranger = nextMessage(other, 400);
    other.send(Buffer.concat([v4Header(echo.port), Buffer.from('b')]), relayPort, relayHost);
    expect(await stranger).toBeNull();
    control.socket.destroy();
  });

  it('honours the client port declared in the request', async () => {
    const r = (rig = await startMixed());
    const declaredClient = await udpClient();
    const other = await udpClient();
    const { control, relayHost, relayPort } = await associate(r, Buffer.concat([hex('01 7f000001'), u16(declaredClient.address().port)]));
    const fromOther = nextMessage(other, 400);
    other.send(Buffer.concat([v4Header(echo.port), Buffer.from('x')]), relayPort, relayHost);
    expect(await fromOther).toBeNull();
    const ok = nextMessage(declaredClient);
    declaredClient.send(Buffer.concat([v4Header(echo.port), Buffer.from('y')]), relayPort, relayHost);
    expect((await ok)!.subarray(10).toString()).toBe('echo:y');
    control.socket.destroy();
  });

  it('answers 0x07 when UDP is disabled, and close() ends live associations', async () => {
    const r = (rig = await startMixed({ udp: false }));
    const c = await rawClient(r.port);
    c.write(hex('05 01 00 05 03 00 01 00000000 0000'));
    expect(await c.read(12)).toEqual(hex('05 00 05 07 00 01 00000000 0000'));
    await c.closed;
    expect(r.stats.badHandshakes.map((b) => b.kind)).toEqual(['socks5-request']);
    await r.close();

    const r2 = (rig = await startMixed());
    const { control } = await associate(r2);
    await r2.close();
    await control.closed;
  });

  it.skipIf(!ipv6)('binds the association on ::1 for a client of an IPv6 listener and relays to an IPv6 echo', async () => {
    const r = (rig = await startMixed({ listen: '[::1]:0' }));
    const echo6 = await startUdpEcho('::1');
    const control = await rawClient(r.port, '::1');
    control.write(hex('05 01 00 05 03 00 01 00000000 0000'));
    expect(await control.read(2)).toEqual(hex('05 00'));
    const reply = await control.read(22);
    expect(reply.subarray(0, 20)).toEqual(hex('05 00 00 04 00000000000000000000000000000001'));
    const relayPort = reply.readUInt16BE(20);
    const s = dgram.createSocket('udp6');
    clients.push(s);
    await new Promise<void>((ok) => s.bind(0, '::1', ok));
    const header = Buffer.concat([hex('0000 00 04 00000000000000000000000000000001'), u16(echo6.port)]);
    const got = nextMessage(s);
    s.send(Buffer.concat([header, Buffer.from('six')]), relayPort, '::1');
    expect(await got).toEqual(Buffer.concat([header, Buffer.from('echo:six')]));
    control.socket.destroy();
    await control.closed;
    await echo6.close();
  });
});
