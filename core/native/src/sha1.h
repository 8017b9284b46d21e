/* SHA-1 and base64 for the WebSocket handshake (sha1.c). */
#ifndef RELAYDESK_SHA1_H
#define RELAYDESK_SHA1_H

#include <stddef.h>
#include <stdint.h>

void rd_sha1(const uint8_t *data, size_t len, uint8_t out[20]);
/* Writes 4 * ceil(len / 3) characters and a NUL; returns the characters written. */
size_t rd_base64(const uint8_t *in, size_t len, char *out);

#endif
