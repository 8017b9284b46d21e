export { createMixedInbound } from './inbound';
