import { describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { testMeta } from '../test/route-rig';
import { createBlockOutbound } from './block';

describe('block outbound', () => {
  it('refuses TCP and UDP with E_ROUTE_BLOCKED', async () => {
    const block = createBlockOutbound();
    expect([block.tag, block.type]).toEqual(['block', 'block']);
    const tcp = await block.dialTcp(testMeta({ host: 'example.com', port: 80 })).catch((e) => e);
    const udp = await block.openUdp(testMeta({ host: 'example.com', port: 53 })).catch((e) => e);
    for (const err of [tcp, udp]) {
      expect(isCoreError(err, 'E_ROUTE_BLOCKED')).toBe(true);
      expect(err.message).toBe('blocked by rule');
    }
  });
});
