import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, payload, sha256, startOrigin, startUdpEcho, type Target } from '../../test/mixed-harness';
import { ALICE, cleanupVlessRigDirs, relayUser, startVlessRig, until, userBytes, type VlessRig } from '../../test/vless-in-harness';
import { socksUdpExchange, startV2rayClient, type V2rayClient } from '../../test/vless-in-v2ray-client';

/**
 * Interop direction (b) of issue #4: curl → v2ray 4.34 SOCKS inbound → v2ray VLESS outbound →
 * our relay → a local target, over TCP, TLS, WebSocket and WebSocket over TLS.
 */
const DOWN = 8 << 20;
const UP = 4 << 20;
/** HTTP request/response headers (and "100 Continue") on top of the bodies. */
const HEADERS = 4096;

const TRANSPORTS = [
  { name: 'TCP', spec: {}, route: { transport: 'tcp' as const } },
  { name: 'TLS', spec: { tls: {} }, route: { transport: 'tcp' as const, tls: true } },
  { name: 'WebSocket', spec: { transport: { type: 'ws', path: '/vl' } }, route: { transport: 'ws' as const, path: '/vl' } },
  { name: 'WebSocket over TLS', spec: { transport: { type: 'ws', path: '/vl' }, tls: {} }, route: { transport: 'ws' as const, path: '/vl', tls: true } },
];

let origin: Target;
let udpEcho: Awaited<ReturnType<typeof startUdpEcho>>;
let v2ray: V2rayClient;
const relays: VlessRig[] = [];
let dir: string;
let uploadFile: string;
const uploadBody = payload(UP);

beforeAll(async () => {
  origin = await startOrigin();
  udpEcho = await startUdpEcho();
  dir = mkdtempSync(join(tmpdir(), 'relaydesk-vless-interop-'));
  uploadFile = join(dir, 'up.bin');
  writeFileSync(uploadFile, uploadBody);
  for (const t of TRANSPORTS) relays.push(await startVlessRig({ users: [relayUser('alice', ALICE)], ...t.spec }, { instanceId: `relay-${relays.length}` }));
  v2ray = await startV2rayClient(TRANSPORTS.map((t, i) => ({ relayPort: relays[i]!.port, uuid: ALICE, ...t.route })));
}, 30_000);

afterAll(async () => {
  await v2ray?.close();
  for (const r of relays) await r.close();
  await origin?.close();
  await udpEcho?.close();
  rmSync(dir, { recursive: true, force: true });
  cleanupVlessRigDirs();
});

describe.each(TRANSPORTS.map((t, i) => ({ ...t, i })))('v2ray → our VLESS relay over $name', ({ i }) => {
  it('downloads and uploads megabytes intact, and counts them for the user', async () => {
    const relay = relays[i]!;
    const proxy = `socks5h://127.0.0.1:${v2ray.socksPorts[i]}`;
    const down = await curl(['-x', proxy, `http://127.0.0.1:${origin.port}/big?n=${DOWN}`]);
    expect(down.stderr).toBe('');
    expect(down.stdout.length).toBe(DOWN);
    expect(sha256(down.stdout)).toBe(sha256(payload(DOWN)));
    const up = await curl(['-x', proxy, '--data-binary', `@${uploadFile}`, '-H', 'content-type: application/octet-stream', `http://127.0.0.1:${origin.port}/upload`]);
    expect(up.stdout.toString()).toBe(`${sha256(uploadBody)} ${UP}`);
    await until(() => {
      const b = userBytes(relay, 'alice');
      return b.up >= UP && b.down >= DOWN;
    }, `alice's counters to reach the bytes moved (${JSON.stringify(userBytes(relay, 'alice'))})`);
    // Connections v2ray keeps open are sampled at the next tick; give it one, then compare.
    await new Promise((r) => setTimeout(r, 250));
    const b = userBytes(relay, 'alice');
    expect(b.up).toBeLessThanOrEqual(UP + HEADERS);
    expect(b.down).toBeLessThanOrEqual(DOWN + HEADERS);
    expect(relay.lines('warn')).toEqual([]);
  });

  it('relays UDP datagrams (length-prefixed frames) to an echo and back', async () => {
    const relay = relays[i]!;
    const before = userBytes(relay, 'alice');
    const sent = [Buffer.from('udp-one'), Buffer.alloc(1400, 7), Buffer.from('udp-three')];
    const replies = await socksUdpExchange(v2ray.socksPorts[i]!, { host: '127.0.0.1', port: udpEcho.port }, sent);
    const want = sent.map((p) => Buffer.concat([Buffer.from('echo:'), p]).toString('hex')).sort();
    expect(replies.map((r) => r.toString('hex')).sort()).toEqual(want);
    const upBytes = sent.reduce((n, p) => n + p.length, 0);
    await until(() => userBytes(relay, 'alice').up - before.up >= upBytes && userBytes(relay, 'alice').down - before.down >= upBytes + 15,
      'UDP bytes counted for alice');
  });
});
