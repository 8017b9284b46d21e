import type { ConfigFile } from '../rpc';

/**
 * What a brand-new data dir starts with: the local mixed proxy on 127.0.0.1:7890, direct,
 * running (like Clash's mixed-port default), rule mode with LAN bypass and no rules.
 */
export const DEFAULT_CONFIG: ConfigFile = {
  version: 1,
  prune: false,
  profiles: [],
  settings: {
    logLevel: 'info',
    route: { mode: 'rule', rules: [], final: 'direct', globalOutbound: 'direct', lanBypass: true },
  },
  instances: [
    {
      name: 'Local proxy',
      autoStart: true,
      spec: {
        type: 'mixed',
        listen: '127.0.0.1:7890',
        users: [],
        udp: true,
        handshakeTimeoutMs: 10_000,
        idleTimeoutMs: 300_000,
        udpIdleTimeoutMs: 60_000,
      },
    },
  ],
};
