import type { EngineHarness } from './engine-harness';
import { ALICE, BOB, rawClient, relayUser, vlessHeader, type RawClient } from './vless-in-harness';

export { ALICE, BOB };
export const CAROL = '3d6a1f0e-9b8c-4d7e-a6f5-0e1d2c3b4a59';

/** A running VLESS relay (alice, bob) on 127.0.0.1:0 created over /rpc; resolves with its id and port. */
export async function startRelay(h: EngineHarness, id = 'relay1'): Promise<{ id: string; port: number }> {
  const inst = await h.client.api.createInstance({
    id, name: `relay ${id}`,
    spec: { type: 'vless', listen: '127.0.0.1:0', fallback: 'none', users: [relayUser('alice', ALICE), relayUser('bob', BOB)] },
  });
  if (inst.state !== 'running' || !inst.address) throw new Error(`relay did not start: ${JSON.stringify(inst.error)}`);
  return { id, port: Number(inst.address.split(':').pop()) };
}

/** A VLESS connection through the relay to `echoPort` that has been answered (admitted and relayed). */
export async function liveClient(port: number, uuid: string, echoPort: number, localAddress?: string): Promise<RawClient> {
  const c = await rawClient(port, { localAddress });
  c.write(Buffer.concat([vlessHeader(uuid, echoPort), Buffer.from('ping')]));
  await c.waitBytes(6);
  return c;
}

/** Whether a connection is still relaying: an echo round trip on it. */
export async function stillRelays(c: RawClient): Promise<boolean> {
  const before = c.received().length;
  c.write(Buffer.from('more'));
  try {
    await c.waitBytes(before + 4, 3000);
    return true;
  } catch {
    return false;
  }
}
