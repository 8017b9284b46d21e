/* The TLS layer of one connection (see tls.h and layer.h). Built for each library (tls-internal.h). */
#define _GNU_SOURCE
#include "tls-internal.h"

#include <errno.h>
#include <limits.h>
#ifndef RD_TLS_BORING
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  rd_layer base;
  rd_tls_ctx *c;
  SSL *ssl;
} rd_tls;

/* SSL_read_ex and SSL_write_ex, which BoringSSL has not: 1 with *n set, else what to hand failed(). */
static int ssl_read(SSL *ssl, void *buf, size_t cap, size_t *n) {
#ifdef RD_TLS_BORING
  int rc = SSL_read(ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
  if (rc > 0) *n = (size_t)rc;
  return rc > 0 ? 1 : rc;
#else
  return SSL_read_ex(ssl, buf, cap, n) == 1 ? 1 : 0;
#endif
}

static int ssl_write(SSL *ssl, const void *buf, size_t len, size_t *n) {
#ifdef RD_TLS_BORING
  int rc = SSL_write(ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
  if (rc > 0) *n = (size_t)rc;
  return rc > 0 ? 1 : rc;
#else
  return SSL_write_ex(ssl, buf, len, n) == 1 ? 1 : 0;
#endif
}

/* The outcome of an SSL call that returned failure, as -1 + errno (EAGAIN, EPROTO, ...) or 0 (EOF). */
static int failed(rd_tls *t, int rc, const char *what) {
  int saved = errno;
  switch (SSL_get_error(t->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
#ifdef RD_TLS_BORING
      /* TCP's end without close_notify: the end of the stream, as Node and Go take it (and OpenSSL
         with SSL_OP_IGNORE_UNEXPECTED_EOF) */
      if (rc == 0 && ERR_peek_error() == 0) return 0;
#endif
      if (ERR_peek_error() == 0) {
        errno = saved ? saved : ECONNRESET;
        snprintf(t->base.why, sizeof t->base.why, "%s: %s", what, saved ? strerror(saved) : "connection closed");
        ERR_clear_error();
        return -1;
      }
      __attribute__((fallthrough)); /* an error on the queue says more */
    default:
      RD_TLS_IMPL(set_why)(t->base.why, sizeof t->base.why, what);
      errno = EPROTO;
      return -1;
  }
}

/* Whether the leaf certificate's SHA-256 is the pin; if not, `why` names the one presented. */
static int pin_matches(rd_tls *t) {
  X509 *cert = SSL_get1_peer_certificate(t->ssl);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  int digested = cert != NULL && X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32;
  if (cert != NULL) X509_free(cert);
  if (!digested) {
    snprintf(t->base.why, sizeof t->base.why, "certificate pin mismatch: the server presented sha256:none");
    return 0;
  }
  if (memcmp(md, t->c->pin, 32) == 0) return 1;
  char hex[65];
  for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  snprintf(t->base.why, sizeof t->base.why, "certificate pin mismatch: the server presented sha256:%s", hex);
  return 0;
}

static int tls_handshake(rd_layer *l, int fd) {
  rd_tls *t = (rd_tls *)l;
  ERR_clear_error();
  int rc = SSL_do_handshake(t->ssl);
  if (rc != 1) {
    rc = failed(t, rc, "handshake");
    if (rc == 0) {
      errno = ECONNRESET;
      snprintf(t->base.why, sizeof t->base.why, "handshake: connection closed");
      rc = -1;
    }
    if (rc < 0 && errno == EAGAIN) return 0;
    long verify = t->c->server ? X509_V_OK : SSL_get_verify_result(t->ssl);
    if (verify != X509_V_OK) {
      /* Why, rather than OpenSSL's "certificate verify failed": "self-signed certificate", "hostname mismatch" */
      const char *words = rd_tls_verify_words(verify);
      snprintf(t->base.why, sizeof t->base.why, "%s", words ? words : X509_verify_cert_error_string(verify));
      errno = EPROTO;
    }
    if (!t->c->server && t->c->session) {
      SSL_SESSION_free(t->c->session); /* never resume what just failed */
      t->c->session = NULL;
    }
    return -1;
  }
  /* A resumed session carries no certificate; it was pinned when first made. */
  if (t->c->has_pin && !SSL_session_reused(t->ssl) && !pin_matches(t)) {
    errno = EPROTO;
    return -1;
  }
  return 1;
}

static ssize_t tls_read(rd_layer *l, int fd, void *buf, size_t cap) {
  rd_tls *t = (rd_tls *)l;
  size_t got = 0;
  /* Several records per call: fewer, larger writes on the other side. */
  while (got < cap) {
    size_t n;
    ERR_clear_error();
    int rc = ssl_read(t->ssl, (uint8_t *)buf + got, cap - got, &n);
    if (rc == 1) {
      got += n;
      continue;
    }
    if (got > 0) {
      ERR_clear_error(); /* the next call sees the same condition again */
      return (ssize_t)got;
    }
    return failed(t, rc, "read");
  }
  return (ssize_t)got;
}

static ssize_t tls_write(rd_layer *l, int fd, const void *buf, size_t len) {
  rd_tls *t = (rd_tls *)l;
  size_t n;
  ERR_clear_error();
  int rc = ssl_write(t->ssl, buf, len, &n);
  if (rc == 1) return (ssize_t)n;
  rc = failed(t, rc, "write");
  if (rc == 0) errno = EPIPE;
  return -1;
}

static int tls_shutdown(rd_layer *l, int fd) {
  rd_tls *t = (rd_tls *)l;
  ERR_clear_error();
  SSL_shutdown(t->ssl); /* our close_notify; the peer's may come later and is read as EOF */
  ERR_clear_error();
  return 1;
}

static void tls_free(rd_layer *l) {
  rd_tls *t = (rd_tls *)l;
  /* Marked as shut down, or SSL_free takes a connection that ended without close_notify for a bad
     one and makes its session (the ticket every dial to this server shares) not resumable. */
  SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(t->ssl);
  RD_TLS_IMPL(ctx_unref)(t->c);
  free(t);
}

static const rd_layer_ops tls_ops = { tls_handshake, tls_read, tls_write, tls_shutdown, tls_free };

rd_layer *RD_TLS_IMPL(layer)(rd_tls_ctx *c, int fd) {
  rd_tls *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->ssl = SSL_new(c->ctx);
#ifdef RD_TLS_BORING
  if (!t->ssl || rd_bssl_set_fd(t->ssl, fd) != 1) {
#else
  if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) {
#endif
    SSL_free(t->ssl);
    ERR_clear_error();
    free(t);
    return NULL;
  }
  t->base.ops = &tls_ops;
  t->c = c;
  RD_TLS_IMPL(ctx_ref)(c);
  if (c->server) {
    SSL_set_accept_state(t->ssl);
  } else {
    SSL_set_connect_state(t->ssl);
    if (c->sni) SSL_set_tlsext_host_name(t->ssl, c->sni);
    if (c->verify_name) {
      X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
      /* An IP literal is checked against the certificate's IP addresses, a name against its DNS names. */
      if (X509_VERIFY_PARAM_set1_ip_asc(param, c->verify_name) != 1) {
        ERR_clear_error();
        SSL_set1_host(t->ssl, c->verify_name);
      }
    }
#ifdef RD_TLS_BORING
    /* BoringSSL never changes a session once made: every dial can share the one kept. */
    if (c->session) SSL_set_session(t->ssl, c->session);
#else
    /* A copy per connection: OpenSSL marks the session of a connection that failed (an alert, a
       reset) not resumable, and that must not spoil the ticket for every other dial. */
    SSL_SESSION *copy = c->session ? SSL_SESSION_dup(c->session) : NULL;
    if (copy) {
      SSL_set_session(t->ssl, copy);
      SSL_SESSION_free(copy);
    }
#endif
  }
  return &t->base;
}
