import { emitVlessLink, type VlessProfile } from '../codec/vless-link';
import { formatHostPort } from '../common/net';
import type { Profile, SocksProfileSpec, VlessProfileSpec } from '../rpc';

/**
 * A profile as a share link.
 * - vless: the `vless://` link of codec/vless-link (type, security, sni, alpn, allowInsecure,
 *   host, path; what a link cannot carry is left out: `pinSha256`, `udp: false`).
 * - socks: `socks://user:pass@host:port#name` with user and password percent-encoded, as in
 *   curl's proxy URLs (`socks://host:port#name` without credentials). v2rayN writes the
 *   userinfo as base64 instead; the plain form was chosen because it reads the same everywhere
 *   and needs no guessing when parsed back. socks links are not imported (only vless://).
 */
export function profileLink(p: Profile): string {
  return p.spec.type === 'vless' ? emitVlessLink(toLinkProfile(p.name, p.spec)) : socksLink(p.name, p.spec);
}

/** A parsed `vless://` link as a profile spec (the codec's '' means "not set"). */
export function specFromLink(link: VlessProfile): VlessProfileSpec {
  return {
    type: 'vless', host: link.host, port: link.port, uuid: link.uuid,
    transport: link.transport.type === 'ws'
      ? { type: 'ws', path: link.transport.path, ...(link.transport.host ? { host: link.transport.host } : {}) }
      : { type: 'tcp' },
    tls: link.tls ? { ...(link.tls.sni ? { sni: link.tls.sni } : {}), alpn: link.tls.alpn, insecure: link.tls.insecure } : null,
    udp: true,
  };
}

function toLinkProfile(name: string, spec: VlessProfileSpec): VlessProfile {
  return {
    name, uuid: spec.uuid, host: spec.host, port: spec.port,
    transport: spec.transport.type === 'ws' ? { type: 'ws', path: spec.transport.path, host: spec.transport.host ?? '' } : { type: 'tcp' },
    tls: spec.tls ? { sni: spec.tls.sni ?? '', alpn: spec.tls.alpn, insecure: spec.tls.insecure } : null,
  };
}

function socksLink(name: string, spec: SocksProfileSpec): string {
  const auth = spec.username !== undefined && spec.password !== undefined
    ? `${encodeURIComponent(spec.username)}:${encodeURIComponent(spec.password)}@`
    : '';
  return `socks://${auth}${formatHostPort(spec.host, spec.port)}#${encodeURIComponent(name)}`;
}
