import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnMeta } from '../../adapter';
import { unmapIPv4 } from '../../codec/address';
import { encodeSimpleResponse, filterRawHeaders, hopByHopNames, hostHeaderFor, parseAbsoluteTarget } from '../../codec/http1';
import { formatHostPort } from '../../common/net';
import { CoreError } from '../../rpc';
import { httpErrorFor, logDialFailure, routeAndDial } from './dial';
import { closeWithReply, runGuarded, type MixedEnv } from './handshake';
import { AUTH_TEXT, PROXY_AUTHENTICATE, serveConnect, serveUpgrade } from './http-tunnel';
import { checkProxyAuthorization } from './users';

/** Idle keep-alive client connections are closed after this long (or the idle timeout if shorter). */
const CLIENT_KEEPALIVE_MS = 60_000;

/** What each upstream dial needs beyond host and port; travels inside the request options. */
interface DialOptions extends http.RequestOptions {
  relaydesk?: { meta: Omit<ConnMeta, 'id' | 'destination'>; client: Socket };
}

/**
 * Plain HTTP proxying (absolute-form requests) through node:http, which does the HTTP/1.1 work:
 * keep-alive, pipelining, chunked bodies, 100-continue. Sockets arrive after the first head was
 * checked; each gets its own keep-alive Agent whose connections are routed and dialed through the
 * outbounds and tracked by ctx.relay.track (bytes counted from the upstream socket). CONNECT and
 * Upgrade requests on such a connection become tunnels (http-tunnel.ts).
 */
export class HttpFront {
  private readonly server: http.Server;
  private readonly agents = new Map<Socket, http.Agent>();
  private closed = false;

  constructor(private readonly env: MixedEnv) {
    this.server = http.createServer({ requestTimeout: 0 });
    this.server.timeout = env.spec.idleTimeoutMs;
    this.server.keepAliveTimeout = Math.min(CLIENT_KEEPALIVE_MS, env.spec.idleTimeoutMs);
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      try {
        this.onRequest(req, res);
      } catch (err) {
        // An event handler must not throw (it would take the process down): fail this request only.
        env.ctx.log.error(`http ${req.method} ${req.url}: unexpected failure: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        res.destroy();
      }
    });
    this.server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      runGuarded(env, socket as Socket, serveConnect({ env, socket: socket as Socket, hs: null }, req.url ?? '', req.headers['proxy-authorization'], head));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      runGuarded(env, socket as Socket, serveUpgrade({ env, socket: socket as Socket, hs: null }, req, head));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
  }

  /** Serves `socket`, whose first bytes (`sniffed`, at least one complete head) were already read. */
  accept(socket: Socket, sniffed: Buffer): void {
    socket.unshift(sniffed);
    this.server.emit('connection', socket);
    // node:http consumes the handle directly; the unshifted bytes still flow through 'data'.
    socket.resume();
  }

  /** Destroys every upstream connection (client sockets are the inbound's to destroy). */
  close(): void {
    this.closed = true;
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const { ctx } = this.env;
    const auth = checkProxyAuthorization(this.env.users, req.headers['proxy-authorization']);
    if ('denied' in auth) {
      if (auth.denied === 'wrong') ctx.stats.badHandshake(ctx.instanceId, 'auth');
      return sendText(res, 407, AUTH_TEXT[auth.denied], [PROXY_AUTHENTICATE]);
    }
    const t = parseAbsoluteTarget(req.url ?? '');
    if (t === null || t.scheme !== 'http') {
      ctx.stats.badHandshake(ctx.instanceId, 'http-request');
      const why = t === null ? `"${(req.url ?? '').slice(0, 100)}" is not an absolute http:// URL` : 'https:// URLs go through CONNECT';
      return sendText(res, 400, `RelayDesk is a proxy: ${why}.\n`, [['Connection', 'close']]);
    }
    const socket = req.socket;
    const drop = hopByHopNames(req.headers.connection);
    drop.add('host');
    drop.add('expect');
    const headers = filterRawHeaders(req.rawHeaders, drop);
    headers.push('Host', hostHeaderFor(t));
    if (req.headers['transfer-encoding'] !== undefined) headers.push('Transfer-Encoding', 'chunked');
    const options: DialOptions = {
      host: t.host, port: t.port, method: req.method, path: t.path, headers, setHost: false,
      agent: this.agentFor(socket),
      relaydesk: {
        meta: {
          instanceId: ctx.instanceId, inbound: 'http', network: 'tcp', user: auth.user,
          source: { address: unmapIPv4(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 },
        },
        client: socket,
      },
    };
    const target = `http://${hostHeaderFor(t)}`;
    const upstream = http.request(options);
    upstream.on('response', (ures: IncomingMessage) => {
      try {
        res.writeHead(ures.statusCode ?? 502, ures.statusMessage, filterRawHeaders(ures.rawHeaders, hopByHopNames(ures.headers.connection)));
      } catch (err) {
        // node:http refuses to write some header node:http parsed (should not happen): answer 502.
        upstream.destroy(new CoreError('E_PROTO_BAD_HANDSHAKE', `unusable response head from ${target}: ${(err as Error).message}`));
        return;
      }
      ures.pipe(res);
      ures.on('error', () => res.destroy());
      ures.on('aborted', () => res.destroy());
    });
    upstream.on('timeout', () => upstream.destroy(new CoreError('E_DIAL_TIMEOUT', `no bytes from ${target} for ${this.env.spec.idleTimeoutMs} ms`)));
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        if (!(err instanceof CoreError)) ctx.log.info(`http ${req.method} ${target}: ${err.message}`);
        const e = httpErrorFor(err instanceof CoreError ? err : new CoreError('E_DIAL_RESET', err.message, { cause: err }), target);
        sendText(res, e.status, e.body);
      } else {
        res.destroy();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  private agentFor(socket: Socket): http.Agent {
    let agent = this.agents.get(socket);
    if (agent) return agent;
    agent = new http.Agent({ keepAlive: true, timeout: this.env.spec.idleTimeoutMs, scheduling: 'lifo' });
    agent.createConnection = ((options: DialOptions, cb: (err: Error | null, s?: Duplex) => void) => {
      this.dial(options).then((s) => cb(null, s), (err: Error) => cb(err));
      return undefined;
    }) as unknown as http.Agent['createConnection'];
    this.agents.set(socket, agent);
    socket.once('close', () => {
      this.agents.get(socket)?.destroy();
      this.agents.delete(socket);
    });
    return agent;
  }

  private async dial(options: DialOptions): Promise<Socket> {
    const { ctx } = this.env;
    const { meta: base, client } = options.relaydesk!;
    const meta: ConnMeta = { ...base, id: ctx.nextConnId(), destination: { host: String(options.host), port: Number(options.port) } };
    const abort = new AbortController();
    const onClose = () => abort.abort(new Error('client closed'));
    client.once('close', onClose);
    try {
      const { decision, remote } = await routeAndDial(ctx, meta, abort.signal);
      if (this.closed || client.destroyed) {
        // Nobody is left to use it (the Agent may already be destroyed): it must not linger.
        remote.destroy();
        throw new CoreError('E_DIAL_FAILED', 'client went away during the dial');
      }
      ctx.relay.track(meta, decision, remote);
      if (ctx.log.enabled('debug')) ctx.log.debug(`http ${meta.id} ${formatHostPort(meta.destination.host, meta.destination.port)} via ${decision.outbound.tag} (${decision.rule})`);
      remote.resume();
      return remote;
    } catch (err) {
      if (!client.destroyed) logDialFailure(ctx, meta, err);
      throw err;
    } finally {
      client.off('close', onClose);
    }
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const { ctx } = this.env;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    ctx.stats.badHandshake(ctx.instanceId, 'http-request');
    if (ctx.log.enabled('debug')) ctx.log.debug(`http client error: ${err.code ?? err.message}`);
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    closeWithReply(socket as Socket, encodeSimpleResponse(tooLarge ? 431 : 400, tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
      `RelayDesk: ${tooLarge ? 'header too large' : `malformed request (${err.code ?? err.message})`}.\n`));
  }
}

function sendText(res: ServerResponse, status: number, body: string, headers: [string, string][] = []): void {
  const flat: string[] = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body))];
  for (const [n, v] of headers) flat.push(n, v);
  res.writeHead(status, flat);
  res.end(body);
}
