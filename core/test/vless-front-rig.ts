import { expect } from 'vitest';
import { LogBus } from '../log/logger';
import { createVlessOutbound } from '../outbound/vless';
import { VlessProfileSpec } from '../rpc';
import { rawClient, startMixed, type MixedRig } from './mixed-harness';
import { rawClient as relayClient, until, userBytes, vlessHeader, type RawClientOptions, type VlessRig } from './vless-in-harness';

/**
 * A mixed port whose every request goes to one VLESS server: 127.0.0.1:`port` with `uuid` and the
 * profile fields in `over` (transport, tls). Close it with rig.close().
 */
export async function startVlessProxy(port: number, uuid: string, over: Record<string, unknown> = {}): Promise<MixedRig> {
  const spec = VlessProfileSpec.parse({ type: 'vless', host: '127.0.0.1', port, uuid, transport: { type: 'tcp' }, tls: null, ...over });
  return startMixed({}, { mode: 'global', globalOutbound: 'v', lanBypass: false }, [
    createVlessOutbound('v', spec, { log: new LogBus({ level: 'debug' }).logger('vless') }),
  ]);
}

/** SOCKS5 no-auth CONNECT to 127.0.0.1:port; resolves with the client once the reply came. */
export async function socksConnect(rig: MixedRig, port: number) {
  const c = await rawClient(rig.port);
  c.write(Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 255]));
  await c.read(2);
  return { c, reply: await c.read(10) };
}

/**
 * A user with a speed limit (`uuid`, named "slow") is relayed by JS: behind TLS or a WebSocket it
 * gets the plain stream through the native bridge. Sends 100 kB to the echo and checks it all
 * came back after [0, 0], and that the user's counter has it.
 */
export async function expectSlowUserRelayed(r: VlessRig, uuid: string, echoPort: number, client: RawClientOptions): Promise<void> {
  const slow = await relayClient(r.port, client);
  const chunk = Buffer.alloc(100_000, 3);
  slow.write(Buffer.concat([vlessHeader(uuid, echoPort), chunk]));
  const got = await slow.waitBytes(2 + chunk.length);
  expect(got.subarray(0, 2)).toEqual(Buffer.from([0, 0]));
  expect(got.subarray(2).equals(chunk)).toBe(true);
  slow.end();
  await until(() => userBytes(r, 'slow').down === chunk.length, 'the slow user counted');
}
