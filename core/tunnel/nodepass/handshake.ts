import http from 'node:http';
import https from 'node:https';
import { authorizationHeaderFor, checkAuthorizationHeader } from '../../codec/nodepass-key';
import { formatHostPort } from '../../common/net';
import { CoreError } from '../../rpc';

/** The server's handshake answer: `-` reverse (server listens), `+` forward (client listens). */
export interface HandshakeReply {
  flow: '-' | '+';
  max: number;
  tls: '0' | '1' | '2';
  type: '0';
}

/** What answerHandshake decided: accepted, or refused with the status (for badHandshake kinds). */
export type HandshakeOutcome = { ok: true } | { ok: false; status: 401 | 404 | 405 };

/**
 * Answers one handshake request as NodePass v1.14 does: 405 for a method other than GET, 404 for a
 * path other than `/`, 401 for a missing or wrong bearer token (constant-time check), else 200 with
 * `Connection: close` and the JSON reply.
 */
export function answerHandshake(req: http.IncomingMessage, res: http.ServerResponse, key: string, reply: HandshakeReply): HandshakeOutcome {
  res.setHeader('Connection', 'close');
  const refuse = (status: 401 | 404 | 405, text: string): HandshakeOutcome => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
    return { ok: false, status };
  };
  if (req.method !== 'GET') return refuse(405, 'Method not allowed');
  if ((req.url ?? '').split('?')[0] !== '/') return refuse(404, 'Not found');
  if (!checkAuthorizationHeader(req.headers.authorization, key)) return refuse(401, 'Unauthorized');
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
  return { ok: true };
}

/**
 * The client's handshake: `GET /` with `Host: <sni or host:port>` and the bearer token, over plain
 * HTTP (HTTPS without verification when the server port is 443, as NodePass). Rejects with
 * E_AUTH_FAILED on 401, E_PROTO_BAD_HANDSHAKE on other answers, E_DIAL_* when unreachable.
 */
export function clientHandshake(host: string, port: number, serverName: string, key: string, timeoutMs = 5000): Promise<HandshakeReply> {
  const mod = port === 443 ? https : http;
  const where = formatHostPort(host, port);
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host, port, path: '/', method: 'GET', agent: false, timeout: timeoutMs, rejectUnauthorized: false,
      headers: { Host: serverName !== 'none' ? serverName : where, Authorization: authorizationHeaderFor(key) },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        if (res.statusCode === 401) return reject(new CoreError('E_AUTH_FAILED', `handshake with ${where}: 401 (wrong tunnel key)`));
        if (res.statusCode !== 200) return reject(new CoreError('E_PROTO_BAD_HANDSHAKE', `handshake with ${where}: HTTP ${res.statusCode}`));
        const reply = parseReply(body);
        if (reply === null) return reject(new CoreError('E_PROTO_BAD_HANDSHAKE', `handshake with ${where}: unexpected reply ${JSON.stringify(body.slice(0, 80))}`));
        resolve(reply);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new CoreError('E_PROTO_TIMEOUT', `handshake with ${where} timed out`)));
    req.on('error', (err) => reject(err instanceof CoreError ? err : new CoreError('E_DIAL_FAILED', `handshake with ${where}: ${err.message}`, { cause: err })));
    req.end();
  });
}

/** The server's JSON reply, or null when it is not one NodePass v1.14 would send. Never throws. */
export function parseReply(body: string): HandshakeReply | null {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return null;
  }
  const o = v as Record<string, unknown>;
  if (o === null || typeof o !== 'object') return null;
  if ((o.flow !== '-' && o.flow !== '+') || typeof o.max !== 'number' || !['0', '1', '2'].includes(String(o.tls))) return null;
  if (String(o.type ?? '0') !== '0') return null;
  return { flow: o.flow, max: o.max, tls: String(o.tls) as HandshakeReply['tls'], type: '0' };
}
