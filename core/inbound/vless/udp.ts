import type { ConnMeta, Destination, UdpAssociation } from '../../adapter';
import { encodeResponse, type VlessRequest } from '../../codec/vless';
import { MAX_UDP_FRAME_PAYLOAD, UdpFrameDecoder, encodeUdpFrame } from '../../codec/vless-udp';
import { formatHostPort } from '../../common/net';
import type { VlessEnv } from './env';
import type { LiveConn } from './limits';

/** Replies queued towards a slow client beyond this are dropped (UDP may lose datagrams). */
const MAX_QUEUED = 1 << 20;

/**
 * The UDP command: every `[uint16 length][payload]` frame from the client is a datagram to the
 * request's destination (one per connection), sent through ctx.relay.udp; replies come back framed
 * the same way after the [version, 0] response. Ends with the client stream, or after
 * idleTimeoutMs without a datagram either way.
 */
export async function serveUdp(env: VlessEnv, live: LiveConn, source: ConnMeta['source'], req: VlessRequest, head: Buffer): Promise<void> {
  const { ctx, spec } = env;
  const client = live.stream;
  const destination: Destination = { host: req.address.host, port: req.port };
  const meta: ConnMeta = {
    id: ctx.nextConnId(), instanceId: ctx.instanceId, inbound: 'vless', network: 'udp', source, destination, user: live.user.name,
  };
  const log = ctx.log;
  const decoder = new UdpFrameDecoder();
  let activity = 0;
  let seen = 0;
  let ended = false;
  let timer: NodeJS.Timeout | null = null;

  const drop = (why: string) => {
    if (log.enabled('debug')) log.debug(`udp ${meta.id} datagram dropped: ${why}`);
  };
  const onReply = (payload: Buffer, _from: Destination) => {
    if (ended) return;
    if (payload.length > MAX_UDP_FRAME_PAYLOAD) return drop(`reply of ${payload.length} bytes does not fit a frame`);
    if (client.writableLength > MAX_QUEUED) return drop('client is not reading');
    activity++;
    client.write(encodeUdpFrame(payload));
  };
  const association: UdpAssociation = ctx.relay.udp(meta, onReply, { idleTimeoutMs: spec.idleTimeoutMs });
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    if (timer) clearTimeout(timer);
    association.close();
    client.destroy();
    if (log.enabled('debug')) log.debug(`udp ${meta.id} user "${meta.user}" → ${formatHostPort(destination.host, destination.port)} ended (${why})`);
  };
  const onData = (chunk: Buffer) => {
    activity++;
    for (const payload of decoder.push(chunk)) association.send(payload, destination);
  };
  // One timer for the idle timeout, re-armed for the time left instead of on every datagram.
  const idleCheck = (armedAt: number) => {
    const now = Date.now();
    if (activity !== seen) {
      seen = activity;
      timer = setTimeout(idleCheck, spec.idleTimeoutMs, now);
    } else if (now - armedAt >= spec.idleTimeoutMs) {
      end('idle timeout');
    } else {
      timer = setTimeout(idleCheck, spec.idleTimeoutMs - (now - armedAt), armedAt);
    }
  };

  client.on('error', (err: NodeJS.ErrnoException) => end(`client error ${err.code ?? err.message}`));
  client.once('end', () => end('client ended'));
  client.once('close', () => end('client closed'));
  client.write(encodeResponse(req.version));
  if (client.destroyed) return end('client closed');
  if (head.length > 0) onData(head);
  client.on('data', onData);
  client.resume();
  timer = setTimeout(idleCheck, spec.idleTimeoutMs, Date.now());
  if (log.enabled('debug')) log.debug(`udp ${meta.id} user "${meta.user}" → ${formatHostPort(destination.host, destination.port)}`);
}
