/* What tls-ctx.c (contexts) and tls.c (the layer) share. */
#ifndef RELAYDESK_TLS_INTERNAL_H
#define RELAYDESK_TLS_INTERNAL_H

#include "tls.h"

#include <openssl/ssl.h>
#include <stdatomic.h>

struct rd_tls_ctx {
  _Atomic int refs;
  SSL_CTX *ctx;
  int server;
  char *sni;              /* client: server name sent (NULL: none) */
  char *verify_name;      /* client: name or IP the certificate must match (NULL: insecure) */
  uint8_t pin[32];
  int has_pin;
  uint8_t *alpn;          /* server: protocols to pick from, wire format */
  size_t alpn_len;
  SSL_SESSION *session;   /* client: the latest ticket; worker thread only */
};

/* Fills `why` with `what` and OpenSSL's last error in words, and clears the error queue. */
void rd_tls_set_why(char *why, size_t cap, const char *what);

#endif
