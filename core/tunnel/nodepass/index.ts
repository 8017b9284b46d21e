export { createNodePassRunner } from './runner';
export { createSingleEndClient } from './single-end';
export { createNodePassServer, type DualEndOptions } from './server';
export { createDualEndClient, type DualClientOptions } from './client-dual';
export type { NodePassRunner, PoolStats, TunnelMetrics } from './types';
