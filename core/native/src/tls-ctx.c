/* TLS contexts (see tls.h): what a server presents and a client trusts, and the client's kept
   session ticket. Built for each library (tls-internal.h). */
#define _GNU_SOURCE
#include "tls-internal.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RD_TLS_BORING
#include <openssl/pem.h>

static const rd_tls_backend backend = {
  "OpenSSL", rd_ossl_server_ctx, rd_ossl_client_ctx, rd_ossl_ctx_ref, rd_ossl_ctx_unref, rd_ossl_layer,
};

/* Called once (tls-backend.c). */
const rd_tls_backend *rd_ossl_backend(char *why, size_t cap) {
  /* OPENSSL_version_major exists from OpenSSL 3 on, and not in BoringSSL. */
  unsigned int (*major)(void) = (unsigned int (*)(void))dlsym(RTLD_DEFAULT, "OPENSSL_version_major");
  if (major != NULL && dlsym(RTLD_DEFAULT, "SSL_CTX_new") != NULL && major() == 3) return &backend;
  snprintf(why, cap, "OpenSSL: the process exports no OpenSSL 3");
  return NULL;
}
#endif

void RD_TLS_IMPL(set_why)(char *why, size_t cap, const char *what) {
  unsigned long e = ERR_peek_last_error();
  const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
  char words[120];
  if (reason != NULL) {
    /* OpenSSL says "certificate verify failed", BoringSSL "CERTIFICATE_VERIFY_FAILED": the former */
    size_t i = 0;
    for (; reason[i] != '\0' && i < sizeof words - 1; i++) words[i] = reason[i] == '_' ? ' ' : (char)tolower((unsigned char)reason[i]);
    words[i] = '\0';
  } else if (e != 0) {
    snprintf(words, sizeof words, "error %lx", e);
  }
  if (e != 0) snprintf(why, cap, "%s%s%s", what, *what ? ": " : "", words);
  else snprintf(why, cap, "%s", what);
  ERR_clear_error();
}

static rd_tls_ctx *ctx_new(int server) {
  rd_tls_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  atomic_init(&c->refs, 1);
  c->server = server;
  c->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!c->ctx) {
    free(c);
    return NULL;
  }
#ifdef RD_TLS_BORING
  rd_bssl_tickets_init(c);
#endif
  SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifndef RD_TLS_BORING
  /* OpenSSL only. BoringSSL never renegotiates unless asked, frees its buffers once empty, has its
     EOF without close_notify read as an end in tls.c and reads ahead in bssl-bio.c; its client
     sends the compatibility ChangeCipherSpec, which it cannot be told not to. */
  /* A peer that closes TCP without close_notify ends the stream, as Node and Go treat it. */
  SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  /* No dummy ChangeCipherSpec records (RFC 8446 D.4 makes them optional): one write and one read
     fewer per handshake on each side. Peers that send them (Go, Node) are still understood. */
  SSL_CTX_clear_options(c->ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
  /* Buffers only while records are in flight. */
  SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
  /* Whole records per read(2), several at a time. */
  SSL_CTX_set_read_ahead(c->ctx, 1);
  SSL_CTX_set_default_read_buffer_len(c->ctx, 64 * 1024);
#endif
  SSL_CTX_set_app_data(c->ctx, c);
  return c;
}

void RD_TLS_IMPL(ctx_ref)(rd_tls_ctx *c) { atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed); }

void RD_TLS_IMPL(ctx_unref)(rd_tls_ctx *c) {
  if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1) return;
  if (c->session) SSL_SESSION_free(c->session);
  SSL_CTX_free(c->ctx);
#ifdef RD_TLS_BORING
  rd_bssl_tickets_free(c);
#endif
  free(c->sni);
  free(c->verify_name);
  free(c->alpn);
  free(c);
}

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
  rd_tls_ctx *c = arg;
  unsigned char *chosen;
  if (SSL_select_next_proto(&chosen, outlen, c->alpn, (unsigned int)c->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK; /* no protocol in common: go on without ALPN, as Node does */
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

#ifndef RD_TLS_BORING
/*
 * A resumed client keeps the ticket it has (reused until it expires, as Go's client does) instead of
 * being sent a new one on every connection: a ticket to encrypt here and a session to decode and
 * store there, each time, for nothing the client needs.
 */
static SSL_TICKET_RETURN on_ticket(SSL *ssl, SSL_SESSION *session, const unsigned char *name, size_t name_len,
                                   SSL_TICKET_STATUS status, void *arg) {
  switch (status) {
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW: /* what OpenSSL reports for every TLS 1.3 ticket */
      SSL_set_num_tickets(ssl, 0);
      return SSL_TICKET_RETURN_USE;
    case SSL_TICKET_FATAL_ERR_MALLOC:
    case SSL_TICKET_FATAL_ERR_OTHER:
      return SSL_TICKET_RETURN_ABORT;
    default:
      return SSL_TICKET_RETURN_IGNORE_RENEW; /* none, or one we cannot decrypt: a full handshake */
  }
}
#endif

rd_tls_ctx *RD_TLS_IMPL(server_ctx)(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                              const uint8_t *alpn, size_t alpn_len, char *why, size_t why_cap) {
  ERR_clear_error();
  rd_tls_ctx *c = ctx_new(1);
  if (!c) return RD_TLS_IMPL(set_why)(why, why_cap, "cannot create a TLS context"), NULL;
  BIO *bio = BIO_new_mem_buf(cert_pem, (int)cert_len);
  X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  if (!leaf || SSL_CTX_use_certificate(c->ctx, leaf) != 1) {
    RD_TLS_IMPL(set_why)(why, why_cap, "certificate");
    goto fail;
  }
  X509 *extra;
  while ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add_extra_chain_cert(c->ctx, extra) != 1) {
      X509_free(extra);
      RD_TLS_IMPL(set_why)(why, why_cap, "certificate chain");
      goto fail;
    }
  }
  ERR_clear_error(); /* the end of the PEM list */
  BIO_free(bio);
  X509_free(leaf);
  leaf = NULL;
  bio = BIO_new_mem_buf(key_pem, (int)key_len);
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  if (!key || SSL_CTX_use_PrivateKey(c->ctx, key) != 1 || SSL_CTX_check_private_key(c->ctx) != 1) {
    EVP_PKEY_free(key);
    RD_TLS_IMPL(set_why)(why, why_cap, "private key");
    goto fail;
  }
  EVP_PKEY_free(key);
  BIO_free(bio);
  /* One ticket per handshake (the default two cost a second encryption each time). Tickets carry
     the whole session: no server-side cache to fill, lock and sweep. */
  SSL_CTX_set_num_tickets(c->ctx, 1);
  SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
#ifdef RD_TLS_BORING
  if (!rd_bssl_tickets_use(c)) {
    snprintf(why, why_cap, "no randomness for session ticket keys");
    RD_TLS_IMPL(ctx_unref)(c);
    return NULL;
  }
#else
  SSL_CTX_set_session_ticket_cb(c->ctx, NULL, on_ticket, NULL);
#endif
  if (alpn_len > 0) {
    c->alpn = malloc(alpn_len);
    if (!c->alpn) goto fail_plain;
    memcpy(c->alpn, alpn, alpn_len);
    c->alpn_len = alpn_len;
    SSL_CTX_set_alpn_select_cb(c->ctx, select_alpn, c);
  }
  return c;
fail:
  X509_free(leaf);
  BIO_free(bio);
  RD_TLS_IMPL(ctx_unref)(c);
  return NULL;
fail_plain:
  snprintf(why, why_cap, "out of memory");
  RD_TLS_IMPL(ctx_unref)(c);
  return NULL;
}

/* Keeps the newest ticket a server sent (TLS 1.3 sends them after the handshake). */
static int on_new_session(SSL *ssl, SSL_SESSION *session) {
  /* OpenSSL also reports sessions without a ticket (not resumable): keep the last good one. */
  if (!SSL_SESSION_is_resumable(session)) return 0;
  rd_tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
  if (c->session) SSL_SESSION_free(c->session);
  c->session = session;
  return 1; /* the reference is ours */
}

rd_tls_ctx *RD_TLS_IMPL(client_ctx)(const char *sni, const char *verify_name, const char *ca_pem, size_t ca_len,
                              const uint8_t *alpn, size_t alpn_len, const uint8_t *pin, char *why, size_t why_cap) {
  ERR_clear_error();
  rd_tls_ctx *c = ctx_new(0);
  if (!c) return RD_TLS_IMPL(set_why)(why, why_cap, "cannot create a TLS context"), NULL;
#ifndef RD_TLS_BORING
  /* AES-128-GCM first, as Go's client (and BoringSSL's) orders it on CPUs with AES instructions. */
  SSL_CTX_set_ciphersuites(c->ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
#endif
  SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(c->ctx, on_new_session);
  if (sni && !(c->sni = strdup(sni))) goto oom;
  if (verify_name) {
    if (!(c->verify_name = strdup(verify_name))) goto oom;
    X509_STORE *store = SSL_CTX_get_cert_store(c->ctx);
    BIO *bio = BIO_new_mem_buf(ca_pem, (int)ca_len);
    X509 *ca;
    int n = 0;
    while (bio && (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
      X509_STORE_add_cert(store, ca); /* a duplicate is not an error worth failing for */
      X509_free(ca);
      n++;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (n == 0) {
      snprintf(why, why_cap, "no trusted certificates to verify against");
      RD_TLS_IMPL(ctx_unref)(c);
      return NULL;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
  } else {
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
  }
  if (alpn_len > 0 && SSL_CTX_set_alpn_protos(c->ctx, alpn, (unsigned int)alpn_len) != 0) {
    snprintf(why, why_cap, "bad ALPN list");
    RD_TLS_IMPL(ctx_unref)(c);
    return NULL;
  }
  if (pin) {
    memcpy(c->pin, pin, 32);
    c->has_pin = 1;
  }
  return c;
oom:
  snprintf(why, why_cap, "out of memory");
  RD_TLS_IMPL(ctx_unref)(c);
  return NULL;
}
