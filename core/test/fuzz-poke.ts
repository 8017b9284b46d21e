import net from 'node:net';
import { expect } from 'vitest';
import type { Fuzz } from './mixed-codec-fuzz';

/**
 * A fuzz client: sends `data` to 127.0.0.1:`port` in up to three writes, sometimes half-closing
 * after; resolves 'closed' once the server closed, or 'open' after 3 s (the suites set their
 * timeouts well below, so 'open' means the server lost track of a client).
 */
export function poke(g: Fuzz, port: number, data: Buffer): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let settled = false;
    const done = (how: 'closed' | 'open') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => done('open'), 3000);
    s.on('data', () => undefined);
    s.on('error', () => done('closed'));
    s.on('close', () => done('closed'));
    s.on('end', () => done('closed'));
    const cuts = [g.int(data.length + 1), g.int(data.length + 1)].sort((a, b) => a - b);
    const parts = [data.subarray(0, cuts[0]), data.subarray(cuts[0], cuts[1]), data.subarray(cuts[1])];
    const closeEarly = g.int(6) === 0;
    s.once('connect', async () => {
      for (const part of parts) {
        if (part.length > 0 && !s.destroyed) s.write(part);
        await new Promise((r) => setTimeout(r, g.int(3)));
      }
      if (closeEarly) s.end();
    });
  });
}

/**
 * `batches` rounds of 20 concurrent pokes at 127.0.0.1:`port`, each a mutation of one of `seeds`
 * or, one time in `randomOneIn`, up to `randomLen` random bytes; expects every client to have been
 * closed (a relayed one by its idle timeout, which the suites keep at 1 s). Failures name the
 * seed and the input (its first 400 bytes).
 */
export async function expectEveryPokeClosed(
  g: Fuzz, port: number, seeds: Buffer[], opts: { batches: number; randomLen: number; randomOneIn?: number },
): Promise<void> {
  for (let batch = 0; batch < opts.batches; batch++) {
    const pokes = Array.from({ length: 20 }, () => {
      const input = g.int(opts.randomOneIn ?? 5) === 0 ? g.bytes(opts.randomLen) : g.mutate(g.pick(seeds));
      return poke(g, port, input).then((how) => ({ how, input }));
    });
    for (const { how, input } of await Promise.all(pokes)) {
      expect(how, `seed ${g.seed}, input ${input.subarray(0, 400).toString('hex')}`).toBe('closed');
    }
  }
}

/**
 * Routing for fuzz suites that relay what they are fed: loopback destinations go direct, anything
 * else is blocked, and the resolver knows no name but "localhost" (no DNS query leaves the machine).
 */
export const LOOPBACK_ONLY = {
  route: {
    mode: 'rule', lanBypass: false, final: 'block',
    rules: [{ type: 'ip_cidr', value: '127.0.0.0/8', outbound: 'direct' }, { type: 'ip_cidr', value: '::1/128', outbound: 'direct' }],
  },
  lookup: async (host: string): Promise<string[]> => (host.toLowerCase() === 'localhost' ? ['127.0.0.1'] : []),
};
