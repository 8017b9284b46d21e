import net, { type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnMeta, Destination, Outbound } from '../../adapter';
import { encodeResponse, formatUuid } from '../../codec/vless';
import { encodeUdpFrame, UdpFrameDecoder } from '../../codec/vless-udp';
import { LogBus } from '../../log/logger';
import { nativeAvailable, spliceRelay } from '../../route/splice';
import { isCoreError, VlessProfileSpec } from '../../rpc';
import { closedPort, payload, sha256, startMixed, type MixedRig } from '../../test/mixed-harness';
import { leakGuard } from '../../test/route-rig';
import { socks5Connect, startFakeVless, type FakeRequest, type FakeVless } from '../../test/vless-out-rig';
import { createVlessOutbound, VlessStream, VlessTcpSocket } from './index';
import { handovers } from '../../test/splice-recorder';

// The real splice relay, recorded: which remotes it was asked to take and whether it did.
vi.mock('../../route/splice', async (importOriginal) => (await import('../../test/splice-recorder')).recordingSplice(await importOriginal()));

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const native = nativeAvailable();

let guard: ReturnType<typeof leakGuard>;
const closers: (() => unknown)[] = [];
beforeEach(() => {
  guard = leakGuard();
  handovers.length = 0;
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await guard.check();
});

async function fake(onRequest: (r: FakeRequest) => void, opts: { tls?: boolean } = {}): Promise<FakeVless> {
  const f = await startFakeVless(onRequest, opts);
  closers.push(() => f.close());
  return f;
}

function outbound(port: number, extra: object = {}): { out: Outbound; logs: LogBus } {
  const logs = new LogBus({ level: 'debug' });
  const spec = VlessProfileSpec.parse({ type: 'vless', host: '127.0.0.1', port, uuid: UUID, ...extra });
  return { out: createVlessOutbound('t', spec, { log: logs.logger('vless'), connectTimeoutMs: 2000 }), logs };
}

function meta(destination: Destination): ConnMeta {
  return { id: 'c1', instanceId: 'i', inbound: 'test', network: 'tcp', source: { address: '127.0.0.1', port: 1 }, destination, user: null };
}

/** Everything the socket delivers until it ends, or the error it fails with. */
function drain(socket: Socket): Promise<{ data: Buffer; error: Error | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve({ data: Buffer.concat(chunks), error: null }));
    socket.on('error', (error) => resolve({ data: Buffer.concat(chunks), error }));
    socket.resume();
  });
}

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('vless outbound: request header', () => {
  it('sends command TCP with the destination as IPv4, IPv6 or domain, and the UUID', async () => {
    const f = await fake(({ socket }) => socket.destroy());
    const { out } = outbound(f.port);
    for (const dest of [{ host: '10.1.2.3', port: 80 }, { host: '2001:db8::1', port: 443 }, { host: 'example.com', port: 8080 }]) {
      const s = await out.dialTcp(meta(dest));
      await drain(s);
    }
    expect(f.requests.map((r) => [formatUuid(r.uuid), r.command, r.address, r.port, r.flow])).toEqual([
      [UUID, 'tcp', { type: 'ipv4', host: '10.1.2.3' }, 80, null],
      [UUID, 'tcp', { type: 'ipv6', host: '2001:db8::1' }, 443, null],
      [UUID, 'tcp', { type: 'domain', host: 'example.com' }, 8080, null],
    ]);
  });

  it('rejects a destination VLESS cannot carry before dialing', async () => {
    const f = await fake(({ socket }) => socket.destroy());
    const { out } = outbound(f.port);
    await expect(out.dialTcp(meta({ host: 'bad name.example', port: 80 }))).rejects.toMatchObject({ code: 'E_PROTO_UNSUPPORTED' });
    expect(f.requests).toEqual([]);
  });
});

describe.each([{ tls: false }, { tls: true }])('vless outbound: response header (tls $tls)', ({ tls }) => {
  const extra = tls ? { tls: { insecure: true } } : {};

  it('strips a response header split across packets and counts payload only', async () => {
    let uploaded = '';
    const f = await fake(({ socket, rest }) => {
      uploaded += rest.toString();
      socket.on('data', (c: Buffer) => (uploaded += c.toString()));
      socket.resume();
      void (async () => {
        socket.write(Buffer.from([0]));
        await later(30);
        socket.write(Buffer.concat([Buffer.from([0]), Buffer.from('hello')]));
        await later(30);
        socket.end('world');
      })();
    }, { tls });
    const { out } = outbound(f.port, extra);
    const s = await out.dialTcp(meta({ host: '127.0.0.1', port: 1 }));
    expect(s instanceof (tls ? VlessStream : VlessTcpSocket)).toBe(true);
    expect(s.bytesRead - s.readableLength).toBe(0);
    s.write('abc');
    const got = await drain(s);
    expect(got).toEqual({ data: Buffer.from('helloworld'), error: null });
    expect([s.bytesWritten, s.bytesRead]).toEqual([3, 10]);
    expect(uploaded).toBe('abc');
    s.destroy();
  });

  it('delivers payload that arrives in the same packet as the header, addons included', async () => {
    const f = await fake(({ socket }) => {
      // Addons: protobuf field 2 (Seed), 1 byte.
      socket.end(Buffer.concat([Buffer.from([0, 3, 0x12, 0x01, 0x41]), Buffer.from('payload!')]));
    }, { tls });
    const { out } = outbound(f.port, extra);
    const s = await out.dialTcp(meta({ host: 'example.com', port: 80 }));
    expect(await drain(s)).toEqual({ data: Buffer.from('payload!'), error: null });
    expect(s.bytesRead).toBe(8);
    s.destroy();
  });

  it('keeps order and every byte when small records are joined around big ones', async () => {
    const parts = [...Array.from({ length: 200 }, (_, i) => Buffer.alloc(100, i)), payload(40_000), ...Array.from({ length: 50 }, (_, i) => Buffer.alloc(7, i))];
    const f = await fake(({ socket }) => {
      socket.write(encodeResponse());
      socket.cork();
      for (const p of parts) socket.write(p);
      socket.uncork();
      socket.end();
    }, { tls });
    const { out } = outbound(f.port, extra);
    const s = await out.dialTcp(meta({ host: 'example.com', port: 80 }));
    const { data, error } = await drain(s);
    expect(error).toBeNull();
    expect(sha256(data)).toBe(sha256(Buffer.concat(parts)));
    expect(s.bytesRead).toBe(data.length);
    s.destroy();
  });

  it('fails with E_DIAL_FAILED when the server closes before replying (wrong UUID)', async () => {
    const f = await fake(({ socket }) => socket.end(), { tls });
    const { out, logs } = outbound(f.port, extra);
    const s = await out.dialTcp(meta({ host: 'example.com', port: 80 }));
    const { data, error } = await drain(s);
    expect(data.length).toBe(0);
    expect(isCoreError(error, 'E_DIAL_FAILED')).toBe(true);
    expect(error!.message).toBe('vless t → example.com:80: VLESS server closed the connection before replying — wrong UUID, or the server could not reach the destination?');
    expect(logs.entries({ limit: 10, level: 'info' }).map((e) => e.message)).toContain(error!.message);
  });

  it('fails with E_DIAL_FAILED when the reply is not a VLESS response', async () => {
    const f = await fake(({ socket }) => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'), { tls });
    const { out } = outbound(f.port, extra);
    const s = await out.dialTcp(meta({ host: 'example.com', port: 80 }));
    const { error } = await drain(s);
    expect(isCoreError(error, 'E_DIAL_FAILED')).toBe(true);
    expect(error!.message).toMatch(/not a VLESS response \(response version 72 \(expected 0\)\) — not a VLESS server\?/);
  });
});

describe('vless outbound: plain TCP and the native relay', () => {
  it('fails with E_DIAL_RESET when the server resets before replying', async () => {
    const f = await fake(({ socket }) => socket.resetAndDestroy());
    const { out } = outbound(f.port);
    const s = await out.dialTcp(meta({ host: 'example.com', port: 80 }));
    s.write('x');
    const { error } = await drain(s);
    expect(isCoreError(error, 'E_DIAL_RESET')).toBe(true);
    expect(error!.message).toMatch(/VLESS server reset the connection \(ECONNRESET\) before replying/);
  });

  it('is handed to splice(2) only once the response header is stripped', async (ctx) => {
    if (!native) ctx.skip();
    let server: Socket | null = null;
    const f = await fake(({ socket }) => {
      server = socket;
    });
    const { out } = outbound(f.port);
    const remote = await out.dialTcp(meta({ host: 'example.com', port: 80 }));
    const peer = await pairedSocket();
    closers.push(() => peer.close());
    const ended = vi.fn();
    expect(spliceRelay(peer.a, remote, { idleTimeoutMs: 0 }, ended)).toBeNull();
    remote.resume();
    server!.write(encodeResponse());
    await vi.waitFor(() => expect((remote as VlessTcpSocket).replied).toBe(true));
    remote.pause();
    const handle = spliceRelay(peer.a, remote, { idleTimeoutMs: 0 }, ended);
    expect(handle).not.toBeNull();
    server!.write('through splice');
    expect((await peer.read(14)).toString()).toBe('through splice');
    handle!.close();
    await vi.waitFor(() => expect(ended).toHaveBeenCalled());
    remote.destroy();
  });

  it.each([true, false])('relays an upload that outgrows the native threshold before the server replies, then the reply without its header (native front %s)', async (front) => {
    const body = payload(1024 * 1024);
    const reply = payload(768 * 1024 + 5);
    const f = await fake(({ socket, rest }) => {
      let got = rest.length;
      socket.on('data', (c: Buffer) => {
        got += c.length;
        if (got === body.length) socket.end(Buffer.concat([encodeResponse(), reply]));
      });
      socket.resume();
    });
    const { out } = outbound(f.port);
    if (!front) process.env.RELAYDESK_NATIVE_FRONT = '0';
    const rig: MixedRig = await startMixed({}, { mode: 'global', globalOutbound: 't', lanBypass: false }, [out])
      .finally(() => delete process.env.RELAYDESK_NATIVE_FRONT);
    closers.push(() => rig.close());
    const { reply: rep, client } = await socks5Connect(rig.port, 'example.com', 80);
    expect(rep).toBe(0);
    client.write(body);
    const got = await client.read(reply.length, 10_000);
    expect(sha256(got)).toBe(sha256(reply));
    expect((await client.readAll()).length).toBe(0);
    await rig.stats.waitClosed(1);
    expect(rig.stats.finalSamples.get(rig.stats.closedConns[0]!)).toEqual([body.length, reply.length]);
    const vless = handovers.filter((h) => h.remote instanceof VlessTcpSocket);
    // The native front strips the response header itself; the JS front hands the VlessTcpSocket over.
    expect(vless.some((h) => h.taken)).toBe(native && !front);
  });
});

describe('vless outbound: dial failures', () => {
  it('maps a refused server to E_DIAL_REFUSED naming the outbound and destination', async () => {
    const { out } = outbound(await closedPort());
    const err = await out.dialTcp(meta({ host: 'example.com', port: 80 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DIAL_REFUSED' });
    expect((err as Error).message).toMatch(/^vless t → example\.com:80: connect 127\.0\.0\.1:\d+ refused$/);
  });

  it('times out a TLS server that never answers the handshake', async () => {
    const silent = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const held = new Set<Socket>();
    silent.on('connection', (s) => held.add(s));
    closers.push(() => new Promise<void>((r) => {
      for (const s of held) s.destroy();
      silent.close(() => r());
    }));
    const logs = new LogBus();
    const spec = VlessProfileSpec.parse({ type: 'vless', host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, uuid: UUID, tls: { insecure: true } });
    const out = createVlessOutbound('t', spec, { log: logs.logger('v'), connectTimeoutMs: 200 });
    const err = await out.dialTcp(meta({ host: 'example.com', port: 80 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DIAL_TIMEOUT' });
    expect((err as Error).message).toMatch(/timed out after 200 ms$/);
  });

  it('stops dialing when the caller aborts', async () => {
    const silent = net.createServer();
    const held = new Set<Socket>();
    silent.on('connection', (s) => held.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => {
      for (const s of held) s.destroy();
      silent.close(() => r());
    }));
    const { out } = outbound((silent.address() as net.AddressInfo).port, { transport: { type: 'ws', path: '/x' } });
    const abort = new AbortController();
    const p = out.dialTcp(meta({ host: 'example.com', port: 80 }), abort.signal);
    setTimeout(() => abort.abort(new Error('client went away')), 50);
    await expect(p).rejects.toMatchObject({ code: 'E_DIAL_FAILED', message: expect.stringMatching(/aborted$/) });
  });

  it('rejects UDP when the profile turns it off', async () => {
    const { out } = outbound(1, { udp: false });
    await expect(out.openUdp(meta({ host: '127.0.0.1', port: 53 }))).rejects.toMatchObject({ code: 'E_PROTO_UNSUPPORTED' });
  });
});

describe('vless outbound: UDP', () => {
  it('opens one connection per destination, frames datagrams and returns replies from that destination', async () => {
    const f = await fake(({ socket, request, rest }) => {
      const decoder = new UdpFrameDecoder();
      let first = true;
      const answer = (c: Buffer) => {
        for (const d of decoder.push(c)) {
          const frame = encodeUdpFrame(Buffer.concat([Buffer.from(`${request.address.host}:${request.port}:`), d]));
          // The first reply carries the response header; big frames go out in two writes.
          const out = first ? Buffer.concat([encodeResponse(), frame]) : frame;
          first = false;
          socket.write(out.subarray(0, 3));
          socket.write(out.subarray(3));
        }
      };
      answer(rest);
      socket.on('data', answer);
      socket.resume();
    });
    const { out } = outbound(f.port);
    const conn = await out.openUdp({ ...meta({ host: '0.0.0.0', port: 0 }), network: 'udp' });
    const got: { data: string; from: Destination }[] = [];
    conn.onMessage((p, from) => got.push({ data: p.length > 100 ? `${p.length}:${sha256(p)}` : p.toString(), from }));
    const a = { host: '10.0.0.1', port: 53 };
    const b = { host: 'dns.example', port: 5353 };
    conn.send(Buffer.from('one'), a);
    conn.send(Buffer.from('two'), a);
    conn.send(Buffer.from('three'), b);
    const big = payload(9000);
    conn.send(big, b);
    await vi.waitFor(() => expect(got.length).toBe(4), { timeout: 3000 });
    const prefixB = Buffer.from('dns.example:5353:');
    // Order holds per destination (one connection each), not across them.
    expect(got.filter((g) => g.from.host === a.host).map((g) => [g.data, g.from])).toEqual([['10.0.0.1:53:one', a], ['10.0.0.1:53:two', a]]);
    expect(got.filter((g) => g.from.host === b.host).map((g) => [g.data, g.from])).toEqual([
      ['dns.example:5353:three', b],
      [`${prefixB.length + big.length}:${sha256(Buffer.concat([prefixB, big]))}`, b],
    ]);
    expect(f.requests.map((r) => [r.command, r.address.host, r.port])).toEqual([['udp', '10.0.0.1', 53], ['udp', 'dns.example', 5353]]);
    conn.close();
  });
});

/** Two connected loopback sockets (a: handed to the relay, read(): what b received). */
async function pairedSocket(): Promise<{ a: Socket; read(n: number): Promise<Buffer>; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const b = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const a = await accepted;
  a.on('error', () => undefined);
  b.on('error', () => undefined);
  let buf = Buffer.alloc(0);
  b.on('data', (c: Buffer) => (buf = Buffer.concat([buf, c])));
  return {
    a,
    read: async (n) => {
      await vi.waitFor(() => expect(buf.length).toBeGreaterThanOrEqual(n), { timeout: 3000 });
      return buf.subarray(0, n);
    },
    close: () => new Promise<void>((r) => {
      a.destroy();
      b.destroy();
      server.close(() => r());
    }),
  };
}
