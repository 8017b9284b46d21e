import net, { type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardedCleanup } from '../../test/guarded-cleanup';
import { canConnect, curl, freePort, helloServer, npUrl, tunnelCtx, waitFor } from '../../test/nodepass-rt-rig';
import { createDualEndClient } from './client-dual';
import { createNodePassServer } from './server';

const cleanup = guardedCleanup(2000);

const MIN = 2;
const MAX = 16;
const BURST = 12;

const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

/** A dual-end tunnel (min 2, max 16, adjuster every 300 ms) in either flow; `port` is where users connect. */
async function tunnel(flow: 'reverse' | 'forward') {
  const web = await helloServer('the target');
  cleanup.push(() => web.close());
  const [tport, uport] = [await freePort(), await freePort()];
  const sctx = tunnelCtx('srv');
  const server = createNodePassServer(npUrl(`server://127.0.0.1:${tport}/127.0.0.1:${flow === 'reverse' ? uport : web.port}?mode=${flow === 'reverse' ? 1 : 2}&max=${MAX}`), sctx, { pingMs: 200 });
  cleanup.push(() => sctx.relay.closeAll('end'), () => server.close());
  await server.start();
  const cctx = tunnelCtx('cli');
  const client = createDualEndClient(npUrl(`client://127.0.0.1:${tport}/127.0.0.1:${flow === 'reverse' ? web.port : uport}?mode=2&min=${MIN}`), cctx, { pingMs: 200, retryMs: 200, poolAdjustMs: 300 });
  cleanup.push(() => cctx.relay.closeAll('end'), () => client.close());
  await client.start();
  await waitFor(() => canConnect(uport), 'the user port');
  const logged = (text: string) => cctx.logs.entries({ limit: 2000, level: 'debug' }).some((e) => e.message.includes(text));
  return { server, client, port: uport, logged };
}

/** An HTTP/1.1 keep-alive request on a new connection; resolves with the open socket once answered. */
function heldRequest(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    cleanup.push(() => s.destroy());
    let got = '';
    const t = setTimeout(() => reject(new Error(`no answer, got ${JSON.stringify(got)}`)), 5000);
    s.on('error', reject);
    s.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.includes('hello from the target')) {
        clearTimeout(t);
        resolve(s);
      }
    });
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

describe.each(['reverse', 'forward'] as const)('adaptive pool, %s flow', (flow) => {
  it('grows under a burst, shrinks back to min after it (surplus closed on both ends), sessions work throughout', async () => {
    const { server, client, port, logged } = await tunnel(flow);
    await waitFor(() => client.poolStats().idle === MIN && server.poolStats().idle === MIN, 'the pools at min');
    const steady = tcpSockets();

    const users = await Promise.all(Array.from({ length: BURST }, () => heldRequest(port)));
    await waitFor(() => logged('pool capacity up to'), 'the capacity to grow');
    await waitFor(() => client.poolStats().idle > MIN && server.poolStats().idle > MIN, 'the grown pool to fill on both ends');
    expect(client.poolStats().idle).toBeLessThanOrEqual(MAX);

    for (const u of users) u.destroy();
    await waitFor(() => client.poolStats().idle === MIN && server.poolStats().idle === MIN, 'the pools back at min', 8000);
    await waitFor(() => logged('pool capacity down to'), 'the capacity to shrink');
    // The closed surplus is gone from the process on both ends (client and server sockets), not just from the registries.
    await waitFor(() => tcpSockets() <= steady, `sockets back to the steady count (${steady})`);

    expect(await curl(port)).toBe('hello from the target');
    const again = await Promise.all(Array.from({ length: 4 }, () => heldRequest(port)));
    for (const u of again) u.destroy();
    const st = server.poolStats();
    expect(st.hits + st.misses).toBeGreaterThanOrEqual(BURST + 5);
  });
});
