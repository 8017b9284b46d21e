import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../../route/splice';
import { expectEveryPokeClosed, LOOPBACK_ONLY } from '../../test/fuzz-poke';
import { fuzz } from '../../test/mixed-codec-fuzz';
import { curl } from '../../test/mixed-harness';
import { mixedSuite } from '../../test/mixed-suite';

/** Valid SOCKS5 conversations the mutations start from (greeting + CONNECT / UDP / BIND / user-pass). */
function seeds(port: number): Buffer[] {
  const p = [port >> 8, port & 255];
  return [
    Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, ...p]),
    Buffer.from([5, 2, 0, 2, 5, 1, 0, 3, 9, ...Buffer.from('localhost'), ...p]),
    Buffer.from([5, 1, 0, 5, 1, 0, 4, ...Buffer.alloc(15), 1, ...p]),
    Buffer.from([5, 1, 0, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.from([5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, ...p]),
    Buffer.from([5, 1, 2, 1, 1, 117, 1, 112]),
    Buffer.from('GET http://127.0.0.1/ HTTP/1.1\r\n\r\n'),
  ];
}

describe.skipIf(!nativeAvailable())('native SOCKS5 front fuzz', () => {
  const suite = mixedSuite('native');
  const f = fuzz();

  it(`answers or closes every mutated handshake, never hangs past the deadline, and keeps serving (seed ${f.seed})`, async () => {
    // No UDP: an association rightly lives as long as its TCP connection, which a fuzz client
    // never closes. Loopback only: mutated addresses and names anywhere else are blocked, and the
    // router resolves no name but "localhost" (no DNS query leaves the machine).
    const { route, lookup } = LOOPBACK_ONLY;
    const r = await suite.start({ handshakeTimeoutMs: 300, idleTimeoutMs: 1000, udp: false }, route, [], lookup);
    const inputs = seeds(suite.origin.port);
    // A mutated conversation may still be a valid CONNECT whose relay now idles: it is closed at
    // idleTimeoutMs (1 s), so 'open' at 3 s means the front lost track of a client.
    await expectEveryPokeClosed(f, r.port, inputs, { batches: 15, randomLen: 40 });
    const kinds = new Set(r.stats.badHandshakes.map((b) => b.kind));
    for (const k of kinds) expect(['unknown-protocol', 'timeout', 'auth', 'socks5-greeting', 'socks5-auth', 'socks5-request', 'http-request']).toContain(k);
    const res = await curl(['--socks5', r.address, `http://127.0.0.1:${suite.origin.port}/after`]);
    expect(res.stdout.toString()).toBe('hello /after');
  }, 120_000);
});
