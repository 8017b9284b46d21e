import { BlockList, isIP } from 'node:net';
import { CoreError } from '../../rpc';

/** Source-IP allowlist of CIDRs ("127.0.0.0/8", "::1/128", or a bare address). */
export interface Whitelist {
  /** Empty list = every peer is allowed (telemt's rule). */
  allows(ip: string): boolean;
}

export function createWhitelist(cidrs: readonly string[]): Whitelist {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new CoreError('E_CONFIG_INVALID', `users API whitelist: "${c}" is not a CIDR`);
    }
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    allows(ip: string): boolean {
      if (cidrs.length === 0) return true;
      const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
