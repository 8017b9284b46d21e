// The v2ray interop of the VLESS outbound again, with the mixed front's TLS dials on the OpenSSL
// Node exports (its own file: v2ray.test.ts counts handles per test, file-wide).
import '../../inbound/vless/openssl-tls.env';
import { expect, it } from 'vitest';
import { frontAddon } from '../../route/splice';
import './v2ray.test';

it.skipIf(frontAddon() === null)('runs the v2ray suite with native TLS on Node\'s OpenSSL', () => {
  expect(frontAddon()!.tlsLibrary).toBe('OpenSSL');
});
