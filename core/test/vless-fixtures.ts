/**
 * Byte and text fixtures for the VLESS codecs (PROTOCOLS.md §5.5). Hex strings may contain
 * spaces and `|` separators for readability.
 */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]+/g, ''), 'hex');

export const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
export const UUID_HEX = '278487397e6241389fd3098a63964b6b';

/** version | uuid | addons length | addons | command | port | atyp | address */
export const REQUEST_TCP_DOMAIN = hex(`00 | ${UUID_HEX} | 00 | | 01 | 01bb | 02 0b 6578616d706c652e636f6d`);
export const REQUEST_UDP_IPV4_VISION = hex(`00 | ${UUID_HEX} | 12 | 0a 10 78746c732d727072782d766973696f6e | 02 | 0035 | 01 7f000001`);
export const REQUEST_TCP_IPV6 = hex(`00 | ${UUID_HEX} | 00 | | 01 | 0050 | 03 20010db8000000000000000000000001`);
/** Mux carries no port nor address on the wire. */
export const REQUEST_MUX = hex(`00 | ${UUID_HEX} | 00 | | 03`);

/** The reply v2ray 4.34 sent in the tested UDP exchange: header, then one length-prefixed datagram. */
export const TESTED_UDP_REPLY = hex('00 00 | 00 08 7564702d70696e67');

/** Valid requests for fuzz mutations. */
export const REQUEST_SEEDS = [REQUEST_TCP_DOMAIN, REQUEST_UDP_IPV4_VISION, REQUEST_TCP_IPV6, REQUEST_MUX];

/** Links written by real clients (v2rayN style), each valid for this codec. */
export const GOOD_LINKS = [
  `vless://${UUID}@example.com:443?encryption=none&security=tls&sni=example.com&alpn=h2%2Chttp%2F1.1&fp=chrome&type=tcp&headerType=none#TCP%20TLS`,
  `vless://${UUID}@cdn.example.net:443?encryption=none&security=tls&sni=cdn.example.net&type=ws&host=cdn.example.net&path=%2Fws%3Fed%3D2048#WS%20%E6%97%A5%E6%9C%AC`,
  `vless://${UUID}@[2001:db8::1]:8443?type=ws&security=none&path=%2Fvless#v6`,
  `vless://${UUID}@1.2.3.4:80?encryption=none#plain`,
];
