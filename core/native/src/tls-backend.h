/*
 * The TLS libraries native fronts can run on (tls.h picks one per process, tls-backend.c):
 *   BoringSSL  a libssl.so of its own (Debian's android-libboringssl), loaded at run time with its
 *              symbols bound to itself (bssl-load.c); the cheaper handshake, and the only choice
 *              in Electron, whose BoringSSL is not exported;
 *   OpenSSL    the OpenSSL 3 that Node links in and exports (tls-ctx.c probes for it).
 */
#ifndef RELAYDESK_TLS_BACKEND_H
#define RELAYDESK_TLS_BACKEND_H

#include "tls.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *name;
  rd_tls_ctx *(*server_ctx)(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                            const uint8_t *alpn, size_t alpn_len, char *why, size_t why_cap);
  rd_tls_ctx *(*client_ctx)(const char *sni, const char *verify_name, const char *ca_pem, size_t ca_len,
                            const uint8_t *alpn, size_t alpn_len, const uint8_t *pin, char *why, size_t why_cap);
  void (*ctx_ref)(rd_tls_ctx *c);
  void (*ctx_unref)(rd_tls_ctx *c);
  rd_layer *(*layer)(rd_tls_ctx *c, int fd);
} rd_tls_backend;

/* Each returns its backend if the library is there to call, else NULL (`why` says why not). */
const rd_tls_backend *rd_ossl_backend(char *why, size_t cap);
const rd_tls_backend *rd_bssl_backend(char *why, size_t cap);

/* A certificate verification failure (X509_V_ERR_*, the same codes in both libraries) in the words
   OpenSSL 3 and Node use ("self-signed certificate"), or NULL for the library's own words. */
const char *rd_tls_verify_words(long code);

#endif
