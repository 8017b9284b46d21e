import { isUtf8 } from 'node:buffer';
import { parseVlessLink, type VlessLinkResult } from './vless-link';

/**
 * A subscription body as airport panels serve it: share links one per line, either as plain text
 * or base64 of that text (standard or URL-safe alphabet, padded or not, possibly wrapped over
 * several lines). Only vless:// links become profiles; other schemes are reported per line.
 */
export interface SubscriptionResult {
  /** How the body was read. */
  encoding: 'plain' | 'base64';
  /** Every vless:// line (1-based in the decoded text), with its parse result (which may itself be an error). */
  profiles: Array<{ line: number; link: string; result: VlessLinkResult }>;
  /** Lines that are not vless:// links; `line` is 1-based in the (decoded) text, 0 for the whole body. */
  errors: Array<{ line: number; error: string }>;
}

const OTHER_SCHEMES = new Set([
  'vmess', 'ss', 'ssr', 'trojan', 'hysteria', 'hysteria2', 'hy2', 'tuic', 'wireguard', 'wg', 'socks', 'socks5',
  'http', 'https', 'anytls', 'naive+https', 'juicity', 'shadowtls', 'ssh', 'mieru',
]);
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Reads a subscription body; never throws. */
export function parseSubscription(text: string): SubscriptionResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const trimmed = body.trim();
  if (trimmed === '') return { encoding: 'plain', profiles: [], errors: [{ line: 0, error: 'the subscription is empty' }] };
  if (!trimmed.includes('://')) {
    const decoded = decodeBase64(trimmed);
    if (decoded !== null && decoded.includes('://')) return readLines(decoded, 'base64');
    const what = whatElse(trimmed, decoded !== null);
    if (what) return { encoding: decoded !== null ? 'base64' : 'plain', profiles: [], errors: [{ line: 0, error: what }] };
  }
  return readLines(body, 'plain');
}

function readLines(text: string, encoding: SubscriptionResult['encoding']): SubscriptionResult {
  const result: SubscriptionResult = { encoding, profiles: [], errors: [] };
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('//')) continue;
    const schemeEnd = line.indexOf('://');
    const scheme = schemeEnd > 0 ? line.slice(0, schemeEnd).toLowerCase() : '';
    if (scheme === 'vless') {
      result.profiles.push({ line: i + 1, link: line, result: parseVlessLink(line) });
    } else if (scheme !== '' && /^[a-z][a-z0-9+.-]*$/.test(scheme)) {
      const known = OTHER_SCHEMES.has(scheme) ? '' : 'unknown ';
      result.errors.push({ line: i + 1, error: `${known}scheme ${scheme}:// is not supported (only vless:// links are imported)` });
    } else {
      result.errors.push({ line: i + 1, error: `not a share link: "${line.length > 40 ? `${line.slice(0, 40)}…` : line}"` });
    }
  }
  return result;
}

/** Base64 text (either alphabet, any padding, whitespace anywhere) as UTF-8, or null. */
function decodeBase64(text: string): string | null {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) return null;
  const bytes = Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length > 0 && isUtf8(bytes) ? bytes.toString('utf8') : null;
}

/** A clear message for bodies that are some other kind of subscription. */
function whatElse(text: string, wasBase64: boolean): string | null {
  if (wasBase64) return 'the base64 body decodes to text without any share link';
  if (/^(proxies|proxy-groups|port|mixed-port)\s*:/m.test(text)) return 'this is a Clash/Mihomo YAML config, not a list of share links';
  if (text.startsWith('{') || text.startsWith('[')) return 'this is a JSON document (SIP008 or a client config), not a list of share links';
  if (text.startsWith('<')) return 'this is an HTML/XML page, not a subscription (wrong URL or a login page?)';
  return null;
}
