import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardedCleanup } from '../../test/guarded-cleanup';
import { npUrl, socketPair, tunnelCtx, waitFor } from '../../test/nodepass-rt-rig';
import { TunnelCounters } from './counters';
import { PoolRegistry } from './pool';
import { TargetDialer } from './targets';
import type { ForwardEnv } from './tcp-forward';
import { TunnelSession, type VerifyRole } from './tunnel-session';

const cleanup = guardedCleanup(2000);

const url = npUrl('server://k@127.0.0.1:1/127.0.0.1:2?mode=2');

function env(): ForwardEnv {
  const ctx = tunnelCtx();
  const dialer = new TargetDialer(url.targets, ctx.log);
  cleanup.push(() => dialer.close());
  return { ctx, dialer, counters: new TunnelCounters(0), bucket: null, readMs: 0, proxy: false, inbound: 'nodepass', live: new Set() };
}

async function pair(clientVerify: VerifyRole) {
  const [ctlS, ctlC] = await socketPair();
  const [poolS, poolC] = await socketPair();
  const sPool = new PoolRegistry();
  const cPool = new PoolRegistry();
  sPool.add('11111111', poolS);
  cPool.add('11111111', poolC);
  const reasons: { server?: string; client?: string } = {};
  const mk = (side: 'listen' | 'dial', control: Socket, pool: PoolRegistry, verify: VerifyRole, who: 'server' | 'client') =>
    new TunnelSession({ url, env: env(), pool, control, side, listenAt: { host: '127.0.0.1', port: 0 }, verify, onClose: (r) => (reasons[who] = r) });
  // Server as the dialing side (forward flow): its start() returns at once.
  const server = mk('dial', ctlS, sPool, { role: 'server', fingerprint: 'sha256:AA' }, 'server');
  const client = mk('dial', ctlC, cPool, clientVerify, 'client');
  cleanup.push(() => server.close('end'), () => client.close('end'), () => sPool.close(), () => cPool.close());
  await Promise.all([server.start(), client.start()]);
  return { server, client, reasons, sPool, cPool, ctlC };
}

describe('TunnelSession', () => {
  it('verify: a fingerprint mismatch ends the session on both ends', async () => {
    const { reasons } = await pair({ role: 'client', peerFingerprint: () => 'sha256:BB' });
    await waitFor(() => reasons.client !== undefined && reasons.server !== undefined, 'both ends to close');
    expect(reasons.client).toMatch(/fingerprint mismatch/);
  });

  it('verify: a matching fingerprint keeps the session; flush empties the peer pool', async () => {
    const { server, client, reasons, sPool } = await pair({ role: 'client', peerFingerprint: () => 'sha256:AA' });
    await waitFor(() => sPool.poolStats().hits === 1 && sPool.size === 0, 'the test connection to be used');
    const [a, b] = await socketPair();
    cleanup.push(() => a.destroy(), () => b.destroy());
    sPool.add('22222222', a);
    expect(sPool.size).toBe(1);
    client.control.send({ action: 'flush' });
    await waitFor(() => sPool.size === 0, 'the flush');
    expect(reasons).toEqual({});
    expect(server.control.closed).toBe(false);
  });

  it('a control line that does not decode with the key closes the channel', async () => {
    const { reasons, ctlC } = await pair({ role: 'client', peerFingerprint: () => 'sha256:AA' });
    ctlC.write('bm90IHRoZSBrZXk=\n');
    await waitFor(() => reasons.server !== undefined, 'the server end to close');
    expect(reasons.server).toMatch(/bad control line/);
  });
});
