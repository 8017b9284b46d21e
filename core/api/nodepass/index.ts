export { nodePassApiPlugin, NP_CORS, type NodePassApiOptions, type NodePassPluginOptions } from './plugin';
export { buildOpenApi } from './openapi';
export { API_KEY_ID, keyInstance, toNpInstance } from './model';
export type { InstanceEvent, MasterInfo, NpInstance, TCPingResult } from './schemas';
