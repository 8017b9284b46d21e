import { describe, expect, it } from 'vitest';
import { guardedCleanup } from '../../test/guarded-cleanup';
import { canConnect, curl, freePort, helloServer, npUrl, tunnelCtx, waitFor } from '../../test/nodepass-rt-rig';
import { createNodePassRunner } from './runner';
import type { NodePassRunner } from './types';

const cleanup = guardedCleanup(2000);

async function run(text: string): Promise<NodePassRunner> {
  const ctx = tunnelCtx();
  const r = createNodePassRunner(npUrl(text), ctx, { pingMs: 200, retryMs: 200 });
  cleanup.push(() => ctx.relay.closeAll('end'), () => r.close());
  await r.start();
  return r;
}

describe('createNodePassRunner mode 0 (auto)', () => {
  it('client: single-end when it can listen on the tunnel address', async () => {
    const web = await helloServer('web');
    cleanup.push(() => web.close());
    const port = await freePort();
    const r = await run(`client://127.0.0.1:${port}/127.0.0.1:${web.port}`);
    expect(r.metrics().mode).toBe(1);
    expect(await curl(port)).toBe('hello from web');
  });

  it('server: reverse when it can listen on the target, else forward; client: dual-end when the tunnel port is taken', async () => {
    const web = await helloServer('behind the client');
    cleanup.push(() => web.close());
    const [tunnel, pub] = [await freePort(), await freePort()];
    const server = await run(`server://127.0.0.1:${tunnel}/127.0.0.1:${pub}`);
    expect(server.metrics().mode).toBe(1);
    const client = await run(`client://127.0.0.1:${tunnel}/127.0.0.1:${web.port}`);
    await waitFor(() => canConnect(pub), 'the server to listen for users');
    expect(client.metrics().mode).toBe(2);
    expect(await curl(pub)).toBe('hello from behind the client');
    const busy = await run(`server://127.0.0.1:${await freePort()}/127.0.0.1:${web.port}`);
    expect(busy.metrics().mode).toBe(2);
  });
});
