import type { Socket } from 'node:net';
import type { ConnMeta, InstanceContext, RouteDecision } from '../../adapter';
import {
  REP_CONNECTION_REFUSED, REP_GENERAL_FAILURE, REP_HOST_UNREACHABLE, REP_NETWORK_UNREACHABLE, REP_NOT_ALLOWED, REP_TTL_EXPIRED,
} from '../../codec/socks5';
import { formatHostPort } from '../../common/net';
import { CoreError, toCoreError } from '../../rpc';
import { cancellableDialer } from '../../route/cancellable-dial';

/** A routed and connected destination. */
export interface Dialed {
  decision: RouteDecision;
  remote: Socket;
}

/**
 * routeAndDial for an accepted client: the dial stops when `client` closes first (the rejection
 * then says "aborted"; the caller sees `client.destroyed`). Outbounds that can cancel a dial
 * without an AbortSignal (see CancellableDialer) are dialed that way, which spares the signal.
 * `routed`: the decision when the caller routed already (the native front).
 */
export async function routeAndDialFor(ctx: InstanceContext, meta: ConnMeta, client: Socket, routed?: RouteDecision): Promise<Dialed> {
  const decision = routed ?? await ctx.router.route(meta);
  const dialer = cancellableDialer(decision.outbound);
  if (dialer === null) return dialWithSignal(meta, decision, client);
  if (client.destroyed) throw aborted(meta);
  const dial = dialer.dialTcpCancellable(meta);
  const onClose = () => dial.cancel(new Error('client closed'));
  client.on('close', onClose);
  try {
    return { decision, remote: await dial.promise };
  } catch (err) {
    throw blockedByRule(err, meta, decision);
  } finally {
    client.off('close', onClose);
  }
}

async function dialWithSignal(meta: ConnMeta, decision: RouteDecision, client: Socket): Promise<Dialed> {
  const abort = new AbortController();
  const onClose = () => abort.abort(new Error('client closed'));
  client.on('close', onClose);
  try {
    return { decision, remote: await decision.outbound.dialTcp(meta, abort.signal) };
  } catch (err) {
    throw blockedByRule(err, meta, decision);
  } finally {
    client.off('close', onClose);
  }
}

/**
 * Routes `meta` and dials its destination through the chosen outbound. Rejects with a CoreError
 * whose message names the destination; a block names the rule that blocked it.
 */
export async function routeAndDial(ctx: InstanceContext, meta: ConnMeta, signal?: AbortSignal): Promise<Dialed> {
  const decision = await ctx.router.route(meta);
  try {
    return { decision, remote: await decision.outbound.dialTcp(meta, signal) };
  } catch (err) {
    throw blockedByRule(err, meta, decision);
  }
}

/** The dial error as a CoreError; a block names the rule that blocked it. */
export function blockedByRule(err: unknown, meta: ConnMeta, decision: RouteDecision): CoreError {
  const e = toCoreError(err);
  if (e.code !== 'E_ROUTE_BLOCKED') return e;
  const dest = formatHostPort(meta.destination.host, meta.destination.port);
  return new CoreError('E_ROUTE_BLOCKED', `${dest} blocked by rule ${decision.rule}`, { cause: err });
}

function aborted(meta: ConnMeta): CoreError {
  return new CoreError('E_DIAL_FAILED', `connect ${formatHostPort(meta.destination.host, meta.destination.port)} aborted`);
}

/** The SOCKS5 reply code for a failed route or dial (RFC 1928 §6). */
export function socksReplyFor(err: unknown): number {
  switch (toCoreError(err).code) {
    case 'E_ROUTE_BLOCKED':
      return REP_NOT_ALLOWED;
    case 'E_DIAL_NETWORK':
      return REP_NETWORK_UNREACHABLE;
    case 'E_DIAL_UNREACHABLE':
    case 'E_DIAL_DNS':
      return REP_HOST_UNREACHABLE;
    case 'E_DIAL_REFUSED':
      return REP_CONNECTION_REFUSED;
    case 'E_DIAL_TIMEOUT':
      return REP_TTL_EXPIRED;
    default:
      return REP_GENERAL_FAILURE;
  }
}

/** An HTTP error answer for a failed route or dial: 403 blocked, 504 timeout, 502 otherwise. */
export function httpErrorFor(err: unknown, target: string): { status: number; reason: string; body: string } {
  const e = toCoreError(err);
  switch (e.code) {
    case 'E_ROUTE_BLOCKED':
      return { status: 403, reason: 'Forbidden', body: `RelayDesk: ${target} was not forwarded: ${e.message}.\n` };
    case 'E_DIAL_TIMEOUT':
      return { status: 504, reason: 'Gateway Timeout', body: `RelayDesk: could not reach ${target}: ${e.message} (${e.code}).\n` };
    default:
      return { status: 502, reason: 'Bad Gateway', body: `RelayDesk: could not reach ${target}: ${e.message} (${e.code}).\n` };
  }
}

/** A log line for a failed dial; blocks are expected and go to debug. */
export function logDialFailure(ctx: InstanceContext, meta: ConnMeta, err: unknown): void {
  const e = toCoreError(err);
  const line = `${meta.inbound} ${meta.id} ${formatHostPort(meta.destination.host, meta.destination.port)}: ${e.message} (${e.code})`;
  if (e.code === 'E_ROUTE_BLOCKED') {
    if (ctx.log.enabled('debug')) ctx.log.debug(line);
  } else {
    ctx.log.info(line);
  }
}
