import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { CoreError } from '../rpc';
import { formatUuid, tryParseUuid, uuidFromXrayId } from './vless';

/**
 * `vless://` share links, the de-facto format of Xray-core issue #91 (VMessAEAD / VLESS share
 * link proposal) as v2rayN and most clients write it:
 *
 *   vless://<uuid>@<host>:<port>?type=tcp|ws&security=none|tls&sni=&host=&path=&alpn=&fp=
 *          &allowInsecure=&encryption=none#<name>
 *
 * Values are percent-encoded (encodeURIComponent); IPv6 hosts are in brackets.
 *
 * What each parameter does here. "error" = the server could not be reached as configured, so no
 * profile is made; "warning" = the profile works without it, and the warning says what is lost.
 *
 * | parameter                    | value                                   | outcome |
 * | ---------------------------- | --------------------------------------- | ------- |
 * | encryption                   | absent, none                            | ok |
 * |                              | anything else (e.g. mlkem768x25519plus) | error: VLESS encryption unsupported |
 * | security                     | absent, none / tls                      | ok |
 * |                              | reality, xtls, other                    | error |
 * | type                         | absent, tcp, raw / ws                   | ok |
 * |                              | grpc h2 http quic kcp mkcp httpupgrade xhttp splithttp, other | error |
 * | headerType                   | absent, none                            | ok |
 * |                              | http (tcp)                              | error: HTTP obfuscation unsupported |
 * |                              | other (tcp) / anything (ws)             | error / warning ignored |
 * | flow                         | absent, empty                           | ok |
 * |                              | xtls-rprx-vision[-udp443], other        | error: the server refuses clients without it |
 * | sni, alpn, allowInsecure, insecure | with tls                          | ok (allowInsecure: 1/true/0/false, else warning) |
 * |                              | with security none                      | warning ignored |
 * | fp                           | any                                     | warning: Node's own ClientHello is sent |
 * | host, path                   | with ws                                 | ok (path "?ed=" early data: warning) |
 * |                              | with tcp                                | warning ignored |
 * | pbk sid spx pqv (REALITY)    | without security=reality                | warning ignored |
 * | serviceName mode authority seed quicSecurity key extra | without their transport | warning ignored |
 * | packetEncoding               | xudp, packetaddr                        | warning: plain VLESS UDP is used |
 * | ech, pcs, vcn                | any                                     | warning ignored (no ECH, no pin, no verify name) |
 * | any other                    | any                                     | warning unknown, ignored |
 * | a parameter given twice      |                                         | warning, the last one is used |
 *
 * The user id may be a UUID or, as Xray allows, a custom string of 1..30 bytes (mapped to UUIDv5,
 * with a warning). Hosts are normalized (IDN → punycode, lowercase), so `emit` then `parse` gives
 * back an equal profile.
 */

/** A saved VLESS server the local proxy can use. */
export interface VlessProfile {
  /** Display name (the link's #fragment); may be empty. */
  name: string;
  /** Canonical lowercase 8-4-4-4-12. */
  uuid: string;
  /** Domain (ASCII, lowercase) or IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** `host` '' = the Host header is the server's host. */
  transport: { type: 'tcp' } | { type: 'ws'; path: string; host: string };
  /** null = plaintext. `sni` '' = the server's host when it is a domain, none for an IP. */
  tls: null | { sni: string; alpn: string[]; insecure: boolean };
}

export type VlessLinkResult =
  | { ok: true; profile: VlessProfile; warnings: string[] }
  | { ok: false; error: string };

const UNSUPPORTED_TRANSPORTS = new Set(['grpc', 'gun', 'h2', 'http', 'quic', 'kcp', 'mkcp', 'httpupgrade', 'xhttp', 'splithttp', 'domainsocket']);
const IGNORED_ELSEWHERE: Record<string, string> = {
  pbk: 'REALITY', sid: 'REALITY', spx: 'REALITY', pqv: 'REALITY',
  serviceName: 'gRPC', mode: 'gRPC/XHTTP', authority: 'gRPC', seed: 'mKCP', quicSecurity: 'QUIC', key: 'QUIC', extra: 'XHTTP',
};

/** Parses one `vless://` link; never throws. */
export function parseVlessLink(link: string): VlessLinkResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const text = link.trim();
  const schemeEnd = text.indexOf('://');
  if (schemeEnd < 0) return { ok: false, error: 'not a share link (no "scheme://")' };
  const scheme = text.slice(0, schemeEnd).toLowerCase();
  if (scheme !== 'vless') return { ok: false, error: `unsupported scheme "${printable(scheme.slice(0, 20))}://" (only vless:// links)` };
  let rest = text.slice(schemeEnd + 3);
  let name = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const raw = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
    const decoded = decode(raw);
    if (decoded === null) warnings.push('the name is not valid percent-encoding; it is kept as written');
    name = decoded ?? raw;
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    if (rest.length > slash + 1) warnings.push(`the link path "${printable(rest.slice(slash))}" is ignored (the WebSocket path goes in path=)`);
    rest = rest.slice(0, slash);
  }
  const at = rest.lastIndexOf('@');
  if (at < 0) return { ok: false, error: 'the link has no user id (expected vless://<uuid>@host:port)' };
  const uuid = parseId(rest.slice(0, at), errors, warnings);
  const server = parseHostPort(rest.slice(at + 1), errors);
  const params = parseQuery(query, errors, warnings);
  const profile = buildProfile(params, errors, warnings);
  if (errors.length > 0 || !uuid || !server || !profile) return { ok: false, error: errors.join('; ') };
  for (const key of params.keys()) warnings.push(`unknown parameter "${printable(key)}" ignored`);
  return { ok: true, profile: { name, uuid, host: server.host, port: server.port, ...profile }, warnings };
}

/** Writes a profile as a link; throws E_CONFIG_INVALID for a profile that could not be parsed back. */
export function emitVlessLink(profile: VlessProfile): string {
  const uuid = tryParseUuid(profile.uuid);
  if (!uuid) throw new CoreError('E_CONFIG_INVALID', `profile uuid "${profile.uuid.slice(0, 64)}" is not a UUID`);
  if (!Number.isInteger(profile.port) || profile.port < 1 || profile.port > 65535) {
    throw new CoreError('E_CONFIG_INVALID', `profile port ${profile.port} is not in 1..65535`);
  }
  const normalized = isIP(profile.host) === 6 ? profile.host.toLowerCase() : normalizeHost(profile.host, []);
  if (!normalized || normalized.includes('%')) {
    throw new CoreError('E_CONFIG_INVALID', `profile host "${profile.host.slice(0, 64)}" is not a host name or IP address`);
  }
  if (profile.transport.type === 'ws' && !profile.transport.path.startsWith('/')) {
    throw new CoreError('E_CONFIG_INVALID', `WebSocket path "${profile.transport.path.slice(0, 64)}" does not start with "/"`);
  }
  const host = isIP(normalized) === 6 ? `[${normalized}]` : normalized;
  const params: [string, string][] = [['encryption', 'none'], ['security', profile.tls ? 'tls' : 'none']];
  if (profile.tls) {
    if (profile.tls.sni) params.push(['sni', profile.tls.sni]);
    if (profile.tls.alpn.length > 0) params.push(['alpn', profile.tls.alpn.join(',')]);
    if (profile.tls.insecure) params.push(['allowInsecure', '1']);
  }
  params.push(['type', profile.transport.type]);
  if (profile.transport.type === 'ws') {
    if (profile.transport.host) params.push(['host', profile.transport.host]);
    params.push(['path', profile.transport.path]);
  }
  const query = params.map(([k, v]) => `${k}=${encode(v)}`).join('&');
  return `vless://${formatUuid(uuid)}@${host}:${profile.port}?${query}${profile.name ? `#${encode(profile.name)}` : ''}`;
}

type Params = Map<string, string>;

function buildProfile(params: Params, errors: string[], warnings: string[]): Pick<VlessProfile, 'transport' | 'tls'> | null {
  const take = (key: string) => {
    const v = params.get(key);
    params.delete(key);
    return v;
  };
  const encryption = take('encryption');
  if (encryption !== undefined && encryption !== 'none') {
    errors.push(`encryption "${printable(encryption)}" is not supported (VLESS here has no encryption of its own: only "none")`);
  }
  const flow = take('flow');
  if (flow) {
    errors.push(flow.startsWith('xtls-rprx-vision')
      ? `flow "${printable(flow)}" (XTLS Vision) is not supported: the server refuses a client that does not speak it`
      : `flow "${printable(flow)}" is not supported (only no flow)`);
  }
  const security = take('security') || 'none';
  if (security === 'reality') errors.push('security=reality (REALITY) is not supported');
  else if (security === 'xtls') errors.push('security=xtls (legacy XTLS) is not supported');
  else if (security !== 'none' && security !== 'tls') errors.push(`security "${printable(security)}" is not supported (none or tls)`);
  const type = take('type') || 'tcp';
  let transport: VlessProfile['transport'] | null = null;
  if (type === 'tcp' || type === 'raw') transport = { type: 'tcp' };
  else if (type === 'ws') transport = { type: 'ws', path: '/', host: '' };
  else if (UNSUPPORTED_TRANSPORTS.has(type)) errors.push(`transport type=${type} is not supported (tcp or ws)`);
  else errors.push(`unknown transport type "${printable(type)}" (tcp or ws)`);

  const headerType = take('headerType');
  if (headerType && headerType !== 'none') {
    if (transport?.type === 'tcp') errors.push(headerType === 'http' ? 'headerType=http (HTTP obfuscation over TCP) is not supported' : `headerType "${printable(headerType)}" is not supported`);
    else warnings.push(`headerType "${printable(headerType)}" ignored (only meaningful for tcp)`);
  }
  const host = take('host');
  let path = take('path');
  if (transport?.type === 'ws') {
    transport.host = host ?? '';
    if (path !== undefined && path !== '') {
      if (!path.startsWith('/')) {
        warnings.push(`path "${printable(path)}" does not start with "/"; "/${printable(path)}" is used`);
        path = `/${path}`;
      }
      if (/[?&]ed=\d/.test(path)) warnings.push('the path asks for WebSocket early data (ed=); it is not used, and servers ignore the query');
      transport.path = path;
    }
  } else {
    if (host) warnings.push(`host "${printable(host)}" ignored (only used with type=ws)`);
    if (path) warnings.push(`path "${printable(path)}" ignored (only used with type=ws)`);
  }

  const sni = take('sni');
  const alpn = take('alpn');
  const insecureText = take('allowInsecure') ?? take('insecure');
  params.delete('insecure');
  const fp = take('fp');
  let tls: VlessProfile['tls'] = null;
  if (security === 'tls') {
    let insecure = false;
    if (insecureText !== undefined) {
      const t = insecureText.toLowerCase();
      if (t === '1' || t === 'true') insecure = true;
      else if (t !== '0' && t !== 'false' && t !== '') warnings.push(`allowInsecure "${printable(insecureText)}" is not 1/true/0/false; certificates are verified`);
    }
    const list = (alpn ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    tls = { sni: sni ?? '', alpn: list, insecure };
    if (transport?.type === 'ws' && list.includes('h2') && !list.includes('http/1.1')) {
      warnings.push('alpn offers only h2, but WebSocket needs HTTP/1.1; the outbound negotiates http/1.1');
    }
  } else {
    for (const [k, v] of [['sni', sni], ['alpn', alpn], ['allowInsecure', insecureText]] as const) {
      if (v) warnings.push(`${k} ignored because security is not tls`);
    }
  }
  if (fp) warnings.push(`fingerprint fp=${printable(fp)} ignored: Node's own TLS ClientHello is sent`);

  const packetEncoding = take('packetEncoding');
  if (packetEncoding && packetEncoding !== 'none') warnings.push(`packetEncoding=${printable(packetEncoding)} ignored: UDP uses plain VLESS UDP framing`);
  for (const key of ['ech', 'pcs', 'vcn']) {
    const v = take(key);
    if (v) warnings.push(`${key} ignored (${key === 'ech' ? 'no Encrypted Client Hello' : key === 'pcs' ? 'no certificate pin from links' : 'no separate verify name'})`);
  }
  for (const [key, what] of Object.entries(IGNORED_ELSEWHERE)) {
    const v = take(key);
    if (v !== undefined && v !== '') warnings.push(`${key} ignored (a ${what} setting)`);
  }
  return transport ? { transport, tls } : null;
}

function parseId(raw: string, errors: string[], warnings: string[]): string | null {
  const text = decode(raw);
  if (text === null || text === '') {
    errors.push(text === null ? 'the user id is not valid percent-encoding' : 'the user id is empty');
    return null;
  }
  const uuid = tryParseUuid(text);
  if (uuid) return formatUuid(uuid);
  // Xray: 32..36 characters must be a UUID; shorter strings are custom ids.
  const mapped = text.length >= 32 && text.length <= 36 ? null : uuidFromXrayId(text);
  if (!mapped) {
    errors.push(`user id "${printable(text)}" is not a UUID (8-4-4-4-12 hex digits) nor an Xray custom id of 1..30 bytes`);
    return null;
  }
  const uuidText = formatUuid(mapped);
  warnings.push(`user id "${printable(text)}" is an Xray custom id: it maps to UUID ${uuidText} (v2ray 4.34 servers do not know this mapping)`);
  return uuidText;
}

function parseHostPort(raw: string, errors: string[]): { host: string; port: number } | null {
  let hostText: string;
  let portText: string;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0 || raw[close + 1] !== ':') {
      errors.push(close < 0 ? 'unclosed "[" in the IPv6 host' : 'the port is missing (expected [ipv6]:port)');
      return null;
    }
    hostText = raw.slice(1, close);
    portText = raw.slice(close + 2);
    if (isIP(hostText) !== 6 || hostText.includes('%')) {
      errors.push(`"[${printable(hostText)}]" is not an IPv6 address${hostText.includes('%') ? ' (zone ids are not supported)' : ''}`);
      return null;
    }
    hostText = hostText.toLowerCase();
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon < 0) {
      errors.push('the port is missing (expected host:port)');
      return null;
    }
    hostText = raw.slice(0, colon);
    portText = raw.slice(colon + 1);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) errors.push(`port "${printable(portText)}" is not in 1..65535`);
  const host = raw.startsWith('[') ? hostText : normalizeHost(hostText, errors);
  return host && port >= 1 && port <= 65535 ? { host, port } : null;
}

/** A host written without brackets: IPv4 or a domain (IDN → punycode, lowercase). */
function normalizeHost(raw: string, errors: string[]): string | null {
  const text = decode(raw);
  if (!text) {
    errors.push(text === '' ? 'the host is empty' : 'the host is not valid percent-encoding');
    return null;
  }
  if (text.includes(':')) {
    errors.push(`host "${printable(text)}": IPv6 addresses must be in brackets`);
    return null;
  }
  if (isIP(text) === 4) return text;
  const ascii = /[\s/?#@[\]%]/.test(text) ? '' : domainToASCII(text);
  if (!ascii) errors.push(`host "${printable(text)}" is not a valid host name`);
  return ascii || null;
}

function parseQuery(query: string, errors: string[], warnings: string[]): Params {
  const params: Params = new Map();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (key === null || value === null) {
      errors.push(`parameter "${printable(part)}" is not valid percent-encoding`);
      continue;
    }
    if (params.has(key)) warnings.push(`parameter "${printable(key)}" appears more than once; the last value is used`);
    params.set(key, value);
  }
  return params;
}

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** encodeURIComponent that cannot throw: lone surrogates become U+FFFD. */
function encode(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

function printable(s: string): string {
  const t = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return t.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
