/*
 * TLS for native fronts, on BoringSSL when its library is installed (loaded at run time, bound to
 * itself), else on the OpenSSL 3 the host process exports (Node links it in and exports its
 * symbols for addons; Electron's BoringSSL is not exported). Nothing here links against a library:
 * rd_tls_available() looks for one at run time, and without one JS keeps serving TLS.
 * RELAYDESK_TLS_LIB=openssl or =boringssl allows only that one.
 */
#ifndef RELAYDESK_TLS_H
#define RELAYDESK_TLS_H

#include "layer.h"

#include <stdint.h>

typedef struct rd_tls_ctx rd_tls_ctx;

/* Whether a TLS library is there to call (looked for once). */
int rd_tls_available(void);

/* "BoringSSL" or "OpenSSL" when available; else NULL, and `why` (if not NULL) says why. */
const char *rd_tls_library(const char **why);

/* A server context from PEM certificate chain and key; ALPN protocols as a wire-format list
   (length-prefixed, may be empty). NULL with `why` filled on failure. Refs = 1. */
rd_tls_ctx *rd_tls_server_ctx(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                              const uint8_t *alpn, size_t alpn_len, char *why, size_t why_cap);

/*
 * A client context for one server and policy: `sni` (NULL: none), `verify_name` (NULL: insecure,
 * any chain; else the DNS name or IP the certificate must match), trust anchors as PEM (used when
 * verifying), ALPN wire list, optional SHA-256 pin of the leaf certificate. It keeps the server's
 * latest session ticket, so the next handshake resumes. NULL with `why` filled on failure.
 */
rd_tls_ctx *rd_tls_client_ctx(const char *sni, const char *verify_name, const char *ca_pem, size_t ca_len,
                              const uint8_t *alpn, size_t alpn_len, const uint8_t *pin, char *why, size_t why_cap);

void rd_tls_ctx_ref(rd_tls_ctx *c);
void rd_tls_ctx_unref(rd_tls_ctx *c);

/* A layer for one connected socket (server or client side, as the context is). NULL: out of memory. */
rd_layer *rd_tls_layer(rd_tls_ctx *c, int fd);

#endif
