import type { TunnelView } from '../../core/rpc/schemas/tunnel';

/** The i18n key (under `tunnel.modes`) naming a tunnel's resolved run mode. */
export type TunnelModeKey = 'serverReverse' | 'serverForward' | 'clientSingle' | 'clientDual' | 'pending';

/** Server 1 reverse / 2 forward, client 1 single-end / 2 dual-end; anything else (0 before start) is pending. */
export function tunnelModeKey(tunnel: Pick<TunnelView, 'role' | 'mode'>): TunnelModeKey {
  if (tunnel.mode === 1) return tunnel.role === 'server' ? 'serverReverse' : 'clientSingle';
  if (tunnel.mode === 2) return tunnel.role === 'server' ? 'serverForward' : 'clientDual';
  return 'pending';
}
