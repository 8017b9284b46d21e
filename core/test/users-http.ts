import http from 'node:http';
import { createApiServer, type ApiServer } from '../api/server';
import type { UsersApiOptions } from '../api/users';
import type { Engine } from '../engine/engine';

export const USERS_TOKEN = 'users-api-token-0123456789';

/** A control API server for `engine` with these users API options, on 127.0.0.1:0. */
export async function startUsersApi(engine: Engine, usersApi: UsersApiOptions = {}): Promise<{ api: ApiServer; base: string }> {
  const api = createApiServer({ engine, listen: '127.0.0.1:0', token: USERS_TOKEN, log: engine.logs.logger('api'), usersApi });
  const address = await api.start();
  return { api, base: `http://${address}` };
}

export interface UsersReply {
  /** 0 when the server closed the connection without a response. */
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: { ok: boolean; data?: any; revision?: string; error?: { code: string; message: string }; request_id?: number } | null;
}

export interface UsersRequestOptions {
  /** JSON-encoded unless a string or Buffer. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Bind the client here (e.g. "127.0.0.2" as an outside peer). */
  localAddress?: string;
  /** Authorization: Bearer <token> unless set to null. @default USERS_TOKEN */
  token?: string | null;
  /** Send the body chunked (no Content-Length). @default false */
  chunked?: boolean;
}

/** One HTTP request (no keep-alive, 5 s bound). */
export function usersRequest(base: string, method: string, path: string, opts: UsersRequestOptions = {}): Promise<UsersReply> {
  const body = opts.body === undefined ? undefined
    : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? Buffer.from(opts.body as string) : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string> = { connection: 'close', ...opts.headers };
  const token = opts.token === undefined ? USERS_TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body && !opts.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, localAddress: opts.localAddress, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: UsersReply['json'] = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.message === 'socket hang up') resolve({ status: 0, headers: {}, text: '', json: null });
      else reject(err);
    });
    req.end(body);
  });
}
