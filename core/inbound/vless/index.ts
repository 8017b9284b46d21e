export { createVlessInbound } from './inbound';
export type { FallbackHandler } from './fallback';
export type { VlessRunner, VlessUserSnapshot } from './runner';
