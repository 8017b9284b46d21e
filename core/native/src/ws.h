/*
 * WebSocket (RFC 6455, no extensions) for native fronts: the server side of a VLESS relay on
 * WebSocket, and the client side of a dial to a VLESS server on WebSocket. Binary frames carry the
 * byte stream; ping is answered, close ends it. Over TLS (a TLS layer underneath) or not.
 */
#ifndef RELAYDESK_WS_H
#define RELAYDESK_WS_H

#include "layer.h"

#include <stdint.h>

/*
 * Server: checks an upgrade request head at the start of buf[0, len). 1: a valid upgrade to
 * `path` (query ignored): *head_end is where frames start and `accept` (29 bytes with the NUL)
 * holds the Sec-WebSocket-Accept value; 0: the head is not complete yet; -1: anything else (other
 * paths, plain HTTP, bad key or version), which JS answers.
 */
int rd_ws_server_head(const uint8_t *buf, size_t len, const char *path, size_t *head_end, char accept[29]);

/* Server: the layer for an upgraded connection; `pre` are frame bytes that came with the head;
   `under`: the TLS layer it runs over, or NULL; the new layer owns it (on failure it stays the caller's). */
rd_layer *rd_ws_server_layer(const uint8_t *pre, size_t pre_len, rd_layer *under);

/* Client: a layer whose handshake (after that of `under`, a TLS layer the new layer owns, if any) sends
   the upgrade request for `path` with `host_header` and checks the 101 answer (`why` then says
   "refused: HTTP 404 Not Found", "TLS: self-signed certificate" and the like). */
rd_layer *rd_ws_client_layer(const char *path, const char *host_header, rd_layer *under);

/* The Sec-WebSocket-Accept value for a key (RFC 6455 §4.2.2): base64(SHA-1(key + GUID)). */
void rd_ws_accept_key(const char *key, size_t key_len, char out[29]);

#endif
