import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { CoreError, type ErrorCode } from '../rpc';

export interface FetchTextOptions {
  /** For the whole exchange, redirects included (E_DIAL_TIMEOUT). @default 10000 */
  timeoutMs?: number;
  /** Redirects followed before giving up (E_DIAL_FAILED). @default 3 */
  maxRedirects?: number;
  /** Largest body accepted, after decompression (E_PROTO_UNSUPPORTED). @default 4 MiB */
  maxBytes?: number;
  /** Extra request headers. @default { "user-agent": "RelayDesk" } */
  headers?: Record<string, string>;
}

const DEFAULT_MAX_BYTES = 4 << 20;

/**
 * A small HTTP(S) GET for subscription URLs: follows up to `maxRedirects` redirects (http and
 * https only), accepts 2xx only, decompresses gzip/deflate/br bodies, and decodes the body as
 * UTF-8. Every failure is a CoreError whose message names the URL: E_CONFIG_INVALID (not an
 * http(s) URL), E_DIAL_* (DNS, refused, TLS, timeout, HTTP status, too many redirects),
 * E_PROTO_UNSUPPORTED (body over the size limit).
 */
export async function fetchText(url: string, opts: FetchTextOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRedirects = opts.maxRedirects ?? 3;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const headers = { 'user-agent': 'RelayDesk', ...opts.headers };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let current = parse(url, url);
    for (let hop = 0; ; hop++) {
      const res = await get(current, headers, controller.signal, timeoutMs);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        if (hop >= maxRedirects) throw new CoreError('E_DIAL_FAILED', `GET ${url}: more than ${maxRedirects} redirects`);
        current = parse(new URL(res.headers.location, current).href, url);
        continue;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        throw new CoreError('E_DIAL_FAILED', `GET ${current.href}: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
      }
      return await readBody(res, current.href, maxBytes, controller.signal, timeoutMs);
    }
  } finally {
    clearTimeout(timer);
  }
}

function parse(text: string, original: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new CoreError('E_CONFIG_INVALID', `"${text.slice(0, 200)}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CoreError(text === original ? 'E_CONFIG_INVALID' : 'E_DIAL_FAILED', `GET ${original}: ${u.protocol} URLs are not fetched (http or https only)`);
  }
  return u;
}

function get(u: URL, headers: Record<string, string>, signal: AbortSignal, timeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(u, { headers, signal, agent: false }, resolve);
    req.once('error', (err) => reject(requestError(err, u.href, signal, timeoutMs)));
  });
}

function readBody(res: http.IncomingMessage, href: string, maxBytes: number, signal: AbortSignal, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length']);
    if (declared > maxBytes) {
      res.destroy();
      reject(tooLarge(href, maxBytes));
      return;
    }
    const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase();
    const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip()
      : encoding === 'deflate' ? zlib.createInflate()
        : encoding === 'br' ? zlib.createBrotliDecompress() : null;
    const body = decoder ? res.pipe(decoder) : res;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: CoreError | null) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (err) {
        res.destroy();
        decoder?.destroy();
        reject(err);
      } else {
        resolve(new TextDecoder('utf-8').decode(Buffer.concat(chunks, size)));
      }
    };
    const onAbort = () => finish(new CoreError('E_DIAL_TIMEOUT', `GET ${href}: no complete answer within ${timeoutMs} ms`));
    signal.addEventListener('abort', onAbort, { once: true });
    body.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) finish(tooLarge(href, maxBytes));
      else chunks.push(c);
    });
    body.once('end', () => finish(null));
    body.once('error', (err: Error) => finish(new CoreError('E_DIAL_FAILED', `GET ${href}: ${decoder ? `cannot decode the ${encoding} body` : 'the body was cut off'}: ${err.message}`, { cause: err })));
    res.once('aborted', () => finish(new CoreError('E_DIAL_RESET', `GET ${href}: the connection closed before the body ended`)));
  });
}

function tooLarge(href: string, maxBytes: number): CoreError {
  return new CoreError('E_PROTO_UNSUPPORTED', `GET ${href}: the body is larger than ${maxBytes >= 1 << 20 ? `${maxBytes / (1 << 20)} MiB` : `${maxBytes} bytes`}`);
}

const ERRNO_CODES: Record<string, ErrorCode> = {
  ECONNREFUSED: 'E_DIAL_REFUSED', EHOSTUNREACH: 'E_DIAL_UNREACHABLE', ENETUNREACH: 'E_DIAL_NETWORK',
  ENOTFOUND: 'E_DIAL_DNS', EAI_AGAIN: 'E_DIAL_DNS', EAI_FAIL: 'E_DIAL_DNS', EAI_NONAME: 'E_DIAL_DNS',
  ETIMEDOUT: 'E_DIAL_TIMEOUT', ECONNRESET: 'E_DIAL_RESET',
};

function requestError(err: Error, href: string, signal: AbortSignal, timeoutMs: number): CoreError {
  if (signal.aborted) return new CoreError('E_DIAL_TIMEOUT', `GET ${href}: no answer within ${timeoutMs} ms`, { cause: err });
  const errno = (err as NodeJS.ErrnoException).code ?? '';
  const aggregate = err instanceof AggregateError ? ((err.errors[0] as NodeJS.ErrnoException | undefined)?.code ?? '') : '';
  const code = ERRNO_CODES[errno] ?? ERRNO_CODES[aggregate] ?? 'E_DIAL_FAILED';
  return new CoreError(code, `GET ${href}: ${err.message || errno || aggregate}`, { cause: err });
}
