export { createVlessMonitor, withMonitor, type VlessMonitor, type VlessMonitorTarget } from './attach';
export type { MonitorData, SpeedHistory, UserMonitorData } from './figures';
export { formatBytes, formatDuration, formatSpeed, formatUserSpeed } from './format';
export { ConnectionCounter } from './pools';
export type { MonitorServerOptions } from './server';
