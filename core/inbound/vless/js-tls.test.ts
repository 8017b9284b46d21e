import './js-tls.env';
import { afterAll, expect, it } from 'vitest';
import { frontAddon, frontTls } from '../../route/splice';
import { startVlessRig } from '../../test/vless-in-harness';
import './inbound.test';
import './interop.test';

it('runs these suites with TLS in JS, plain TCP still on the native front', async () => {
  const addon = frontAddon();
  expect(addon === null || !frontTls(addon)).toBe(true);
  const r = await startVlessRig({ tls: {}, users: [] });
  expect(r.lines().join('\n')).toMatch(/VLESS relay \(TCP, TLS with self-signed certificate for localhost\) listening/);
  await r.close();
});

afterAll(() => {
  delete process.env.RELAYDESK_NATIVE_TLS;
});
