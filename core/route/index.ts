export { createRouter, validateRouteSettings, type RouterOptions } from './router';
export { createRelay, type EngineRelay, type RelayDeps } from './relay';
