import { isIP } from 'node:net';
import { parseIp } from '../common/net';
import { CoreError } from '../rpc';
import { parseDurationNs } from './nodepass-duration';
import { tunnelKeyFor } from './nodepass-key';

export { formatGoDuration, parseGoDuration } from './nodepass-duration';

/**
 * NodePass v1.14 instance URLs (`server://[key@]host:port/target[,target…]?params`, `client://…`):
 * parsing with validation, the master's "enhanced" `url` and the `config` with every default filled
 * (internal/master.go enhanceURL / generateConfigURL), and Go duration strings.
 */

export type NodePassRole = 'server' | 'client';
export const NODEPASS_LOG_LEVELS = ['none', 'debug', 'info', 'warn', 'error', 'event'] as const;
export type NodePassLogLevel = (typeof NODEPASS_LOG_LEVELS)[number];

/** A host and port; `host` is an IP literal (IPv6 without brackets), a name, or "" (any / local). */
export interface NodePassEndpoint {
  host: string;
  port: number;
}

/**
 * Every parameter with its value or default. Fields outside the URL's role hold their defaults and
 * are unused (server: tls, crt, key, max, type; client: sni, min; the rest apply to both).
 */
export interface NodePassParams {
  /** @default 'info' */
  log: NodePassLogLevel;
  /** Server: 0 plain, 1 in-memory self-signed TLS 1.3, 2 `crt`/`key` files. @default 0 */
  tls: 0 | 1 | 2;
  /** Server, tls=2: PEM certificate path (required then). */
  crt?: string;
  /** Server, tls=2: PEM key path (required then). */
  key?: string;
  /** DNS cache TTL in ms (`dns`, a Go duration); 0 = no caching. @default 300000 */
  dnsMs: number;
  /** Client: the `sni` parameter as given. @default 'none' */
  sni: string;
  /** Client: minimum pool size. @default 64 */
  min: number;
  /** Server: maximum pool size, sent to the client in the handshake. @default 1024 */
  max: number;
  /** Server: 0 auto, 1 reverse, 2 forward. Client: 0 auto, 1 single-end, 2 dual-end. @default 0 */
  mode: 0 | 1 | 2;
  /** Server: pool transport; only 0 (TCP) is supported here. @default 0 */
  type: 0;
  /** Source IP for outbound dials, or 'auto'. @default 'auto' */
  dial: string;
  /** Idle read timeout in ms (`read`, a Go duration); 0 = none. @default 0 */
  readMs: number;
  /** Bandwidth limit in Mbps (×125000 B/s); 0 = unlimited. @default 0 */
  rate: number;
  /** Max concurrent TCP+UDP sessions; 0 = unlimited (as NodePass treats it). @default 65536 */
  slot: number;
  /** Send a PROXY v1 line to the target. @default false */
  proxy: boolean;
  /** Protocols sniffed on the first bytes and refused (`block` digits 1, 2, 3). @default all false */
  block: { socks: boolean; http: boolean; tls: boolean };
  /** @default false */
  notcp: boolean;
  /** @default false */
  noudp: boolean;
}

/** A parsed, validated instance URL. */
export interface NodePassUrl {
  role: NodePassRole;
  /** Server: where clients connect. Client: the server (dual-end) or the local listen address (single-end). */
  tunnel: NodePassEndpoint & { portText: string };
  /** In order; only the first is used when listening, all round-robin when dialing. */
  targets: NodePassEndpoint[];
  /** The URL username, else hex FNV-1a-32 of the tunnel port text. */
  tunnelKey: string;
  /** Whether the key came from the URL username. */
  keyFromUrl: boolean;
  /** TLS server name / handshake Host: `sni`, else the tunnel host name unless it is an IP or empty, else 'none'. */
  serverName: string;
  params: NodePassParams;
  /** Query keys kept but not used by this role (unknown keys, the other role's keys), for warnings. */
  ignored: string[];
  /** Decoded query pairs in their original order (kept for formatting, as NodePass keeps them). */
  query: [string, string][];
  /** Raw pieces reused when formatting: userinfo (undefined when absent), `host:port`, path. */
  raw: { userinfo: string | undefined; hostPort: string; path: string };
}

export type ParseInstanceUrlResult = { ok: true; url: NodePassUrl } | { ok: false; error: string };

/** What the master adds to every instance URL (NodePass: the master URL's own log/tls/crt/key). */
export interface NodePassMasterDefaults {
  /** Added as `log` when the URL has none; '' adds nothing. @default 'info' */
  log?: string;
  /** Added as `tls` to server URLs without one unless '0'. @default '0' */
  tls?: '0' | '1' | '2';
  /** With tls '2': added as `crt` / `key` to server URLs without them. */
  crt?: string;
  key?: string;
}

export const MAX_INSTANCE_URL_LENGTH = 16 * 1024;

/** Parses and validates an instance URL; errors name the part that is wrong. Never throws. */
export function parseInstanceUrl(text: string): ParseInstanceUrlResult {
  try {
    return { ok: true, url: parse(text) };
  } catch (err) {
    if (err instanceof UrlError) return { ok: false, error: err.message };
    throw err;
  }
}

/** parseInstanceUrl that throws E_CONFIG_INVALID with the error text. */
export function instanceUrlOrThrow(text: string): NodePassUrl {
  const r = parseInstanceUrl(text);
  if (!r.ok) throw new CoreError('E_CONFIG_INVALID', `invalid instance URL: ${r.error}`);
  return r.url;
}

/** The instance's `url` as the master stores it: the given URL plus the master's log/tls, query sorted. */
export function formatInstanceUrl(url: NodePassUrl, master: NodePassMasterDefaults = {}): string {
  return build(url, enhanced(url, master));
}

/**
 * The instance's `config`: the enhanced URL with the role's defaults filled in for empty or missing
 * keys (server: dns max mode type dial read rate slot proxy block notcp noudp; client: dns sni min
 * mode dial read rate slot proxy block notcp noudp), keys sorted, values kept as given. As in
 * NodePass, `tls` appears for a server only when the URL or the master sets it. The config is for
 * display: run the instance from formatInstanceUrl (as NodePass runs its `url`), because the filled
 * `sni=none` would replace a client's host-derived server name.
 */
export function normalizeInstanceUrl(url: NodePassUrl, master: NodePassMasterDefaults = {}): string {
  const values = enhanced(url, master);
  for (const [k, v] of CONFIG_DEFAULTS[url.role]) if (!values.get(k)?.[0]) values.set(k, [v]);
  return build(url, values);
}

const SCOPE: Readonly<Record<string, 'server' | 'client' | 'both' | undefined>> = {
  log: 'both', tls: 'server', crt: 'server', key: 'server', dns: 'both', sni: 'client', min: 'client', max: 'server',
  mode: 'both', type: 'server', dial: 'both', read: 'both', rate: 'both', slot: 'both', proxy: 'both', block: 'both',
  notcp: 'both', noudp: 'both',
};

const CONFIG_DEFAULTS: Record<NodePassRole, [string, string][]> = {
  server: [['dns', '5m0s'], ['max', '1024'], ['mode', '0'], ['type', '0'], ['dial', 'auto'], ['read', '0s'], ['rate', '0'],
    ['slot', '65536'], ['proxy', '0'], ['block', '0'], ['notcp', '0'], ['noudp', '0']],
  client: [['dns', '5m0s'], ['sni', 'none'], ['min', '64'], ['mode', '0'], ['dial', 'auto'], ['read', '0s'], ['rate', '0'],
    ['slot', '65536'], ['proxy', '0'], ['block', '0'], ['notcp', '0'], ['noudp', '0']],
};

const POOL_TYPES = new Map([['1', 'QUIC'], ['2', 'WebSocket'], ['3', 'HTTP/2']]);
const HOSTNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;

class UrlError extends Error {}

function fail(message: string): never {
  throw new UrlError(message);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

function parse(text: string): NodePassUrl {
  if (text.length > MAX_INSTANCE_URL_LENGTH) fail(`URL is longer than ${MAX_INSTANCE_URL_LENGTH} characters`);
  if (/[\x00-\x1f\x7f]/.test(text)) fail('URL contains a control character');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  if (scheme === null) fail('scheme: missing, expected server:// or client://');
  const role = scheme[1]!.toLowerCase();
  if (role !== 'server' && role !== 'client') fail(`scheme ${quote(scheme[1]!)}: expected server or client`);
  let rest = text.slice(scheme[0].length);
  if (!rest.startsWith('//')) fail(`expected "${role}://" followed by the tunnel address`);
  const hash = rest.indexOf('#');
  if (hash >= 0) fail(`fragment ${quote(rest.slice(hash))}: not allowed in an instance URL`);
  const qmark = rest.indexOf('?');
  const rawQuery = qmark < 0 ? '' : rest.slice(qmark + 1);
  rest = qmark < 0 ? rest.slice(2) : rest.slice(2, qmark);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);

  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  let username = '';
  if (userinfo !== undefined) {
    if (!/^[A-Za-z0-9\-._~:!$&'()*+,;=%@]*$/.test(userinfo)) fail(`key ${quote(userinfo)}: invalid character in the URL username`);
    const colon = userinfo.indexOf(':');
    username = unescapeOrFail(colon < 0 ? userinfo : userinfo.slice(0, colon), false, () => `key ${quote(userinfo)}: invalid percent-encoding`);
  }
  const tunnel = splitHostPort(hostPort, (what) => `tunnel address ${quote(hostPort)}: ${what}`, true);

  const decodedPath = unescapeOrFail(path, false, () => `target ${quote(path)}: invalid percent-encoding`);
  const targetList = decodedPath.startsWith('/') ? decodedPath.slice(1) : decodedPath;
  const targets: NodePassEndpoint[] = [];
  targetList.split(',').forEach((item, i) => {
    const t = item.trim();
    if (t === '') return;
    const ep = splitHostPort(t, (what) => `target[${i}] ${quote(t)}: ${what}`, false);
    if (ep.port === tunnel.port && (isLoopback(ep.host) || isUnspecified(tunnel.host))) {
      fail(`target[${i}] ${quote(t)}: same port as the tunnel (${tunnel.port}) on a loopback or unspecified address would loop into the tunnel`);
    }
    targets.push({ host: ep.host, port: ep.port });
  });
  if (targets.length === 0) fail('target: missing, expected /host:port[,host:port…] after the tunnel address');

  const query = parseQuery(rawQuery);
  const first = new Map<string, string>();
  for (const [k, v] of query) if (!first.has(k)) first.set(k, v);
  const applies = (k: string) => Object.hasOwn(SCOPE, k) && (SCOPE[k] === 'both' || SCOPE[k] === role);
  const ignored = [...new Set(query.map(([k]) => k))].filter((k) => !applies(k));
  const get = (name: string) => (applies(name) ? first.get(name) || undefined : undefined);
  const params = parseParams(get, role);
  const sni = get('sni');
  const serverName = sni ?? (tunnel.host === '' || isIP(tunnel.host) !== 0 ? 'none' : tunnel.host);
  return {
    role, tunnel, targets, tunnelKey: tunnelKeyFor(tunnel.portText, username), keyFromUrl: username !== '',
    serverName, params, ignored, query, raw: { userinfo, hostPort, path },
  };
}

function parseParams(get: (name: string) => string | undefined, role: NodePassRole): NodePassParams {
  const int = (name: string, min: number, max: number, def: number): number => {
    const v = get(name);
    if (v === undefined) return def;
    const n = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) fail(`query parameter "${name}": expected an integer ${min}..${max}, got ${quote(v)}`);
    return n;
  };
  const flag = (name: string) => int(name, 0, 1, 0) === 1;
  const duration = (name: string, defMs: number): number => {
    const v = get(name);
    if (v === undefined) return defMs;
    const r = parseDurationNs(v);
    if (typeof r === 'string' || r < 0n) fail(`query parameter "${name}": expected a Go duration such as "5m0s", "30s" or "500ms", got ${quote(v)}`);
    return Number(r) / 1e6;
  };
  const log = get('log') ?? 'info';
  if (!(NODEPASS_LOG_LEVELS as readonly string[]).includes(log)) fail(`query parameter "log": expected one of ${NODEPASS_LOG_LEVELS.join(', ')}, got ${quote(log)}`);
  const tls = int('tls', 0, 2, 0) as 0 | 1 | 2;
  const crt = get('crt');
  const key = get('key');
  if (tls === 2 && crt === undefined) fail('query parameter "crt": required when tls=2');
  if (tls === 2 && key === undefined) fail('query parameter "key": required when tls=2');
  const type = get('type');
  if (type !== undefined && type !== '0') {
    const name = POOL_TYPES.get(type);
    fail(name === undefined
      ? `query parameter "type": expected 0 (TCP pool), got ${quote(type)}`
      : `query parameter "type": pool type ${type} (${name}) is not supported; QUIC, WebSocket and HTTP/2 pools are not supported, only 0 (TCP)`);
  }
  const dial = get('dial') ?? 'auto';
  if (dial !== 'auto' && (isIP(dial) === 0 || dial.includes('%'))) fail(`query parameter "dial": expected "auto" or a local IP address, got ${quote(dial)}`);
  const block = get('block') ?? '0';
  if (!/^(?:0|[1-3]{1,3})$/.test(block)) fail(`query parameter "block": expected 0 or digits from 1 (SOCKS), 2 (HTTP), 3 (TLS), got ${quote(block)}`);
  const params: NodePassParams = {
    log: log as NodePassLogLevel, tls, dnsMs: duration('dns', 300_000), sni: get('sni') ?? 'none',
    min: int('min', 1, 65536, 64), max: int('max', 1, 65536, 1024), mode: int('mode', 0, 2, 0) as 0 | 1 | 2, type: 0, dial,
    readMs: duration('read', 0), rate: int('rate', 0, 1_000_000, 0), slot: int('slot', 0, 2 ** 31 - 1, 65536),
    proxy: flag('proxy'), block: { socks: block.includes('1'), http: block.includes('2'), tls: block.includes('3') },
    notcp: flag('notcp'), noudp: flag('noudp'),
  };
  if (role === 'server' && crt !== undefined) params.crt = crt;
  if (role === 'server' && key !== undefined) params.key = key;
  return params;
}

function splitHostPort(text: string, where: (what: string) => string, tunnel: boolean): NodePassEndpoint & { portText: string } {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') fail(where('expected [ipv6]:port'));
    host = text.slice(1, close).replace('%25', '%');
    portText = text.slice(close + 2);
    if (isIP(host) !== 6) fail(where(`${quote(host)} is not an IPv6 address`));
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) fail(where('expected host:port'));
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) fail(where('expected host:port (write IPv6 addresses in brackets)'));
    if (host !== '' && isIP(host) === 0 && (!HOSTNAME.test(host) || /^[\d.]+$/.test(host))) fail(where(`${quote(host)} is not a valid host name or IP address`));
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(where(`${tunnel ? 'tunnel port' : 'port'} must be 1..65535, got ${quote(portText)}`));
  return { host, port, portText };
}

function isLoopback(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const ip = parseIp(host);
  return ip !== null && (ip.family === 4 ? ip.v4 >>> 24 === 127 : ip.v6 === 1n);
}

/** Go's IsUnspecified (0.0.0.0, ::, ::ffff:0.0.0.0), plus the empty host (listen on all). */
function isUnspecified(host: string): boolean {
  if (host === '') return true;
  const ip = parseIp(host);
  return ip !== null && (ip.family === 4 ? ip.v4 === 0 : ip.v6 === 0n);
}

function parseQuery(raw: string): [string, string][] {
  const out: [string, string][] = [];
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    if (piece.includes(';')) fail(`query ${quote(piece)}: ";" is not a separator, use "&"`);
    const eq = piece.indexOf('=');
    const bad = () => `query ${quote(piece)}: invalid percent-encoding`;
    out.push([unescapeOrFail(eq < 0 ? piece : piece.slice(0, eq), true, bad), eq < 0 ? '' : unescapeOrFail(piece.slice(eq + 1), true, bad)]);
  }
  return out;
}

function unescapeOrFail(s: string, plusIsSpace: boolean, message: () => string): string {
  const t = plusIsSpace ? s.replace(/\+/g, ' ') : s;
  if (!t.includes('%')) return t;
  if (/%(?![0-9A-Fa-f]{2})/.test(t)) fail(message());
  try {
    return decodeURIComponent(t);
  } catch {
    return fail(message());
  }
}

function enhanced(url: NodePassUrl, master: NodePassMasterDefaults): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [k, v] of url.query) {
    const list = values.get(k);
    if (list) list.push(v);
    else values.set(k, [v]);
  }
  const empty = (k: string) => !values.get(k)?.[0];
  const log = master.log ?? 'info';
  if (log !== '' && empty('log')) values.set('log', [log]);
  const tls = master.tls ?? '0';
  if (url.role === 'server' && tls !== '0') {
    if (empty('tls')) values.set('tls', [tls]);
    if (tls === '2' && master.crt && empty('crt')) values.set('crt', [master.crt]);
    if (tls === '2' && master.key && empty('key')) values.set('key', [master.key]);
  }
  return values;
}

function build(url: NodePassUrl, values: Map<string, string[]>): string {
  const keys = [...values.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const query = keys.flatMap((k) => values.get(k)!.map((v) => `${escape(k, QUERY_SAFE)}=${escape(v, QUERY_SAFE)}`)).join('&');
  const { userinfo, hostPort, path } = url.raw;
  let user = '';
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const name = escape(unescapeOrFail(colon < 0 ? userinfo : userinfo.slice(0, colon), false, () => ''), USER_SAFE);
    user = `${colon < 0 ? name : `${name}:${escape(unescapeOrFail(userinfo.slice(colon + 1), false, () => ''), USER_SAFE)}`}@`;
  }
  // Go keeps the path as written when it is validly encoded, else re-escapes the decoded path.
  const outPath = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%/]*$/.test(path) ? path : escape(unescapeOrFail(path, false, () => ''), PATH_SAFE);
  return `${url.role}://${user}${hostPort}${outPath}${query === '' ? '' : `?${query}`}`;
}

const QUERY_SAFE = /[A-Za-z0-9\-._~]/;
const USER_SAFE = /[A-Za-z0-9\-._~$&+,;=]/;
const PATH_SAFE = /[A-Za-z0-9\-._~$&+,/:;=@]/;

/** Go's url escape: bytes outside `safe` as %XX (uppercase); in query components a space is '+'. */
function escape(s: string, safe: RegExp): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (b < 0x80 && safe.test(c)) out += c;
    else if (b === 0x20 && safe === QUERY_SAFE) out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
