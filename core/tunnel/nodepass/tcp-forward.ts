import type { Socket } from 'node:net';
import type { ConnMeta, InstanceContext } from '../../adapter';
import { encodeProxyV1 } from '../../codec/proxy-protocol';
import type { TokenBucket } from '../../common/token-bucket';
import type { TunnelCounters } from './counters';
import type { TargetDialer } from './targets';
import { throttledPipe } from './throttle';

/** What forwardTcp needs of the tunnel end it runs in. */
export interface ForwardEnv {
  ctx: InstanceContext;
  dialer: TargetDialer;
  counters: TunnelCounters;
  /** The instance's shared rate limiter, null when `rate` is 0. */
  bucket: TokenBucket | null;
  /** `read`: idle timeout in ms, 0 = none. */
  readMs: number;
  /** `proxy`: send a PROXY v1 line to the target first. */
  proxy: boolean;
  /** ConnMeta.inbound of the sessions ("nodepass"). */
  inbound: string;
  /** Sockets of live sessions, destroyed by the runner's close(). */
  live: Set<Socket>;
}

// The relay's idle timeout is required; NodePass's read=0 means none, so use the longest timer.
const NO_IDLE_MS = 2 ** 31 - 1;

/**
 * Carries one TCP session from `user` (an accepted user connection, or a pool connection on the
 * dialing side of a dual-end tunnel) to a target: slot admission, dial with failover, the PROXY v1
 * line, then Relay.tcp (native splice when available), or the JS throttled pipe when a rate limit
 * is set. `source` is the user's address (for PROXY v1 and ConnMeta). Never rejects.
 */
export async function forwardTcp(env: ForwardEnv, user: Socket, source: { address: string; port: number }, head?: Buffer): Promise<void> {
  const { ctx, counters } = env;
  user.on('error', () => {});
  if (!counters.admit('tcp')) {
    if (ctx.log.enabled('debug')) ctx.log.debug(`tcp from ${source.address}:${source.port} refused: all slots taken`);
    user.destroy();
    return;
  }
  env.live.add(user);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    env.live.delete(user);
    counters.release('tcp');
  };
  user.once('close', release);
  const meta: ConnMeta = {
    id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: env.inbound, network: 'tcp',
    source, destination: { host: '', port: 0 }, user: null,
  };
  let remote: Socket;
  try {
    remote = await env.dialer.dialTcp(meta);
  } catch (err) {
    ctx.log.warn(`tcp ${source.address}:${source.port}: ${(err as Error).message}`);
    user.destroy();
    return;
  }
  if (user.destroyed) {
    remote.destroy();
    return;
  }
  env.live.add(remote);
  remote.once('close', () => env.live.delete(remote));
  if (env.proxy) {
    remote.write(encodeProxyV1(source, { address: remote.remoteAddress ?? '', port: remote.remotePort ?? 0 }));
  }
  relayPair(env, meta, user, remote, head);
}

/**
 * Relays an admitted session `user` ↔ `remote` (both owned from here on): Relay.tcp, or the JS
 * throttled pipe with Relay.track when a rate limit is set. Adds the bytes to the counters at the end.
 */
export function relayPair(env: ForwardEnv, meta: ConnMeta, user: Socket, remote: Socket, head?: Buffer): void {
  const { ctx, counters } = env;
  const base = remote.bytesWritten;
  if (env.bucket) {
    ctx.relay.track(meta, env.dialer.decision, remote);
    throttledPipe(user, remote, {
      bucket: env.bucket, idleMs: env.readMs,
      onClose: (up, down) => {
        counters.tcprx += up;
        counters.tcptx += down;
      },
    }, head);
    return;
  }
  remote.once('close', () => {
    counters.tcprx += Math.max(0, remote.bytesWritten - base);
    counters.tcptx += remote.bytesRead;
  });
  ctx.relay.tcp(meta, env.dialer.decision, user, remote, { idleTimeoutMs: env.readMs > 0 ? env.readMs : NO_IDLE_MS }, head);
}
