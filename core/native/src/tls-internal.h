/*
 * What tls-ctx.c (contexts) and tls.c (the layer) share. Both files are compiled twice: as they
 * are, against the OpenSSL 3 the host process exports, and through tls-boring.c and
 * tls-ctx-boring.c with RD_TLS_BORING, against a BoringSSL loaded at run time (bssl.h). Each build
 * names its entry points after its library (RD_TLS_IMPL) and fills one backend (tls-backend.h).
 */
#ifndef RELAYDESK_TLS_INTERNAL_H
#define RELAYDESK_TLS_INTERNAL_H

#include "tls-backend.h"

#include <stdatomic.h>

#ifdef RD_TLS_BORING
#include "bssl.h"
#define RD_TLS_IMPL(name) rd_bssl_##name
/* BoringSSL returns a reference, as OpenSSL 3's get1 does. */
#define SSL_get1_peer_certificate SSL_get_peer_certificate
#else
#include <openssl/err.h>
#include <openssl/ssl.h>
#define RD_TLS_IMPL(name) rd_ossl_##name
#endif

#ifdef RD_TLS_BORING
#include <pthread.h>
#include <time.h>

/* A server's session ticket keys (bssl-tickets.c): the current one and the one before it. */
typedef struct {
  uint8_t name[16], aes[16], hmac[32];
  time_t made; /* 0: none */
} rd_ticket_key;

typedef struct {
  pthread_mutex_t lock;
  rd_ticket_key keys[2];
} rd_ticket_keys;

/* For every context, when made and when freed. */
void rd_bssl_tickets_init(rd_tls_ctx *c);
void rd_bssl_tickets_free(rd_tls_ctx *c);
/* A server's first key and the callback: 1, or 0 (no randomness). */
int rd_bssl_tickets_use(rd_tls_ctx *c);

/* SSL_set_fd with a socket BIO that reads ahead (bssl-bio.c): 1, or 0 (out of memory). */
int rd_bssl_set_fd(SSL *ssl, int fd);
#endif

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
#ifdef RD_TLS_BORING
  rd_ticket_keys tickets; /* server */
#endif
};

/* Fills `why` with `what` and the library's last error in words, and clears the error queue. */
void RD_TLS_IMPL(set_why)(char *why, size_t cap, const char *what);

rd_tls_ctx *RD_TLS_IMPL(server_ctx)(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                                    const uint8_t *alpn, size_t alpn_len, char *why, size_t why_cap);
rd_tls_ctx *RD_TLS_IMPL(client_ctx)(const char *sni, const char *verify_name, const char *ca_pem, size_t ca_len,
                                    const uint8_t *alpn, size_t alpn_len, const uint8_t *pin, char *why, size_t why_cap);
void RD_TLS_IMPL(ctx_ref)(rd_tls_ctx *c);
void RD_TLS_IMPL(ctx_unref)(rd_tls_ctx *c);
rd_layer *RD_TLS_IMPL(layer)(rd_tls_ctx *c, int fd);

#endif
