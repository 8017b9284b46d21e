import './openssl-tls.env';
import { afterAll, expect, it } from 'vitest';
import { frontAddon } from '../../route/splice';
import './interop.test';
import './native-tls.fuzz.test';
import './native-tls.test';

it.skipIf(frontAddon() === null)('runs these suites with native TLS on Node\'s OpenSSL', () => {
  expect(frontAddon()!.tlsLibrary).toBe('OpenSSL');
});

afterAll(() => {
  delete process.env.RELAYDESK_TLS_LIB;
});
