import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationHeaderFor } from '../../codec/nodepass-key';
import { fuzz, runFuzz } from '../../test/mixed-codec-fuzz';
import { freePort, npUrl, tunnelCtx } from '../../test/nodepass-rt-rig';
import { clientHandshake, parseReply } from './handshake';
import { createNodePassServer } from './server';

const cleanup: (() => unknown)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

const REPLIES = ['{"flow":"-","max":1024,"tls":"0","type":"0"}', '{"flow":"+","max":8,"tls":"2"}', '{"flow":"-","max":1,"tls":1,"type":0}'];

/** Writes `data` to the port and waits until the server closes, answers, or 2 s pass; resolves with what came back. */
function poke(port: number, data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    const done = () => { clearTimeout(t); s.destroy(); resolve(Buffer.concat(got).toString('latin1')); };
    const t = setTimeout(done, 2000);
    s.on('data', (c: Buffer) => got.push(c));
    s.on('error', done);
    s.on('close', done);
    s.end(data);
  });
}

describe('nodepass handshake fuzz', () => {
  const f = fuzz();

  it(`parseReply never throws and accepts only well-formed replies (seed ${f.seed})`, () => {
    let accepted = 0;
    runFuzz(f, 20_000, (g, i) => (i % 2 ? g.mutate(Buffer.from(g.pick(REPLIES))) : g.textish(80)), (input) => {
      const r = parseReply(input.toString('utf8'));
      if (r === null) return;
      accepted++;
      assert.ok(r.flow === '-' || r.flow === '+');
      assert.ok(typeof r.max === 'number');
      assert.ok(['0', '1', '2'].includes(r.tls));
    });
    for (const good of REPLIES) expect(parseReply(good)).not.toBeNull();
    expect(accepted).toBeGreaterThan(0);
  });

  it(`a server survives garbage and broken requests on its tunnel port, then still takes a real client (seed ${f.seed})`, async () => {
    const [tunnel, target] = [await freePort(), await freePort()];
    const ctx = tunnelCtx('srv');
    const url = npUrl(`server://127.0.0.1:${tunnel}/127.0.0.1:${target}?mode=2`);
    // A mutation may still be a valid handshake: the server then waits (briefly here) for a control channel.
    const server = createNodePassServer(url, ctx, { handshakeTimeoutMs: 200 });
    cleanup.push(() => ctx.relay.closeAll('end'), () => server.close());
    await server.start();
    const auth = authorizationHeaderFor(url.tunnelKey);
    const valid = Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`);
    // Refusals with a status are counted as bad handshakes by kind (parse errors are Node's http's).
    expect(await poke(tunnel, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n\r\n'))).toMatch(/^HTTP\/1\.1 401 /);
    expect(await poke(tunnel, Buffer.from(`GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`))).toMatch(/^HTTP\/1\.1 404 /);
    expect(ctx.stats.badHandshakes.map((b) => b.kind)).toEqual(['tunnel-401', 'tunnel-404']);
    const inputs = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? f.bytes(600) : i % 3 === 1 ? f.textish(600) : f.mutate(valid)));
    // A few at a time: the server must keep answering while several broken peers are open.
    for (let i = 0; i < inputs.length; i += 6) {
      const answers = await Promise.all(inputs.slice(i, i + 6).map((b) => poke(tunnel, b)));
      // An HTTP answer, or, once a mutated request still passed the handshake, pool traffic (a 4-byte id first).
      for (const a of answers) if (a !== '' && !a.startsWith('HTTP/')) expect(a.length).toBeGreaterThanOrEqual(4);
    }
    await new Promise((r) => setTimeout(r, 400));
    const reply = await clientHandshake('127.0.0.1', tunnel, 'none', url.tunnelKey);
    expect(reply).toMatchObject({ flow: '+', tls: '0' });
  });
});
