import './js-front.env';
import { afterAll, expect, it } from 'vitest';
import { frontAddon } from '../../route/splice';
import './inbound.test';
import './limits.test';
import './traffic.test';
import './users-live.test';

it('runs these suites with the JS front', () => {
  expect(frontAddon()).toBeNull();
});

afterAll(() => {
  delete process.env.RELAYDESK_NATIVE_FRONT;
});
