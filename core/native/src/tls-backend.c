/* Picks the TLS library for this process (tls-backend.h) and hands tls.h's calls to it. */
#define _GNU_SOURCE
#include "tls-backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t pick_once = PTHREAD_ONCE_INIT;
static const rd_tls_backend *chosen;
static char why_none[400];

#ifndef RD_HAVE_BSSL
/* Built without BoringSSL's headers (android-libboringssl-dev): only the exported OpenSSL. */
const rd_tls_backend *rd_bssl_backend(char *why, size_t cap) {
  snprintf(why, cap, "BoringSSL: not built in (no android-libboringssl-dev when the addon was built)");
  return NULL;
}
#endif

static void pick(void) {
  const char *only = getenv("RELAYDESK_TLS_LIB");
  int bssl = only == NULL || *only == '\0' || strcasecmp(only, "boringssl") == 0;
  int ossl = only == NULL || *only == '\0' || strcasecmp(only, "openssl") == 0;
  if (!bssl && !ossl) {
    snprintf(why_none, sizeof why_none, "RELAYDESK_TLS_LIB=%s is neither openssl nor boringssl", only);
    return;
  }
  char why_b[180] = "", why_o[180] = "";
  /* BoringSSL first: its handshakes cost about half the CPU of OpenSSL 3.0's. */
  if (bssl && (chosen = rd_bssl_backend(why_b, sizeof why_b)) != NULL) return;
  if (ossl && (chosen = rd_ossl_backend(why_o, sizeof why_o)) != NULL) return;
  snprintf(why_none, sizeof why_none, "%s%s%s", why_b, *why_b && *why_o ? "; " : "", why_o);
}

int rd_tls_available(void) {
  pthread_once(&pick_once, pick);
  return chosen != NULL;
}

const char *rd_tls_library(const char **why) {
  pthread_once(&pick_once, pick);
  if (why) *why = chosen ? NULL : why_none;
  return chosen ? chosen->name : NULL;
}

const char *rd_tls_verify_words(long code) {
  switch (code) {
    case 10: return "certificate has expired";                     /* X509_V_ERR_CERT_HAS_EXPIRED */
    case 18: return "self-signed certificate";                     /* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
    case 19: return "self-signed certificate in certificate chain"; /* X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN */
    case 20: return "unable to get local issuer certificate";      /* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
    case 21: return "unable to verify the first certificate";      /* X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE */
    case 62: return "hostname mismatch";                           /* X509_V_ERR_HOSTNAME_MISMATCH */
    case 64: return "IP address mismatch";                         /* X509_V_ERR_IP_ADDRESS_MISMATCH */
    default: return NULL;
  }
}

/* rd_tls_available() came first (addon-tls.c checks it before any context is made). */
rd_tls_ctx *rd_tls_server_ctx(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                              const uint8_t *alpn, size_t alpn_len, char *why, size_t why_cap) {
  return chosen->server_ctx(cert_pem, cert_len, key_pem, key_len, alpn, alpn_len, why, why_cap);
}

rd_tls_ctx *rd_tls_client_ctx(const char *sni, const char *verify_name, const char *ca_pem, size_t ca_len,
                              const uint8_t *alpn, size_t alpn_len, const uint8_t *pin, char *why, size_t why_cap) {
  return chosen->client_ctx(sni, verify_name, ca_pem, ca_len, alpn, alpn_len, pin, why, why_cap);
}

void rd_tls_ctx_ref(rd_tls_ctx *c) { chosen->ctx_ref(c); }
void rd_tls_ctx_unref(rd_tls_ctx *c) { chosen->ctx_unref(c); }
rd_layer *rd_tls_layer(rd_tls_ctx *c, int fd) { return chosen->layer(c, fd); }
