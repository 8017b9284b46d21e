/* TLS contexts and the TLS layer (see tls.h), on the OpenSSL 3 the host process exports. */
#define _GNU_SOURCE
#include "tls.h"

#include <dlfcn.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

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

typedef struct {
  rd_layer base;
  rd_tls_ctx *c;
  SSL *ssl;
} rd_tls;

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int available;

static void probe(void) {
  /* OPENSSL_version_major exists from OpenSSL 3 on, and not in BoringSSL. */
  unsigned int (*major)(void) = (unsigned int (*)(void))dlsym(RTLD_DEFAULT, "OPENSSL_version_major");
  available = major != NULL && dlsym(RTLD_DEFAULT, "SSL_CTX_new") != NULL && major() == 3;
}

int rd_tls_available(void) {
  pthread_once(&probe_once, probe);
  return available;
}

static void set_why(char *why, size_t cap, const char *what) {
  unsigned long e = ERR_peek_last_error();
  if (e != 0) {
    char detail[120];
    ERR_error_string_n(e, detail, sizeof detail);
    /* "error:0A000086:SSL routines::certificate verify failed" -> the words after the last ':' */
    const char *words = strrchr(detail, ':');
    snprintf(why, cap, "%s%s%s", what, *what ? ": " : "", words && words[1] ? words + 1 : detail);
  } else {
    snprintf(why, cap, "%s", what);
  }
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
  SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
  /* A peer that closes TCP without close_notify ends the stream, as Node and Go treat it. */
  SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  /* No dummy ChangeCipherSpec records (RFC 8446 D.4 makes them optional): one write and one read
     fewer per handshake on each side. Peers that send them (Go, Node) are still understood. */
  SSL_CTX_clear_options(c->ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
  SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  /* Whole records per read(2), several at a time. */
  SSL_CTX_set_read_ahead(c->ctx, 1);
  SSL_CTX_set_default_read_buffer_len(c->ctx, 64 * 1024);
  SSL_CTX_set_app_data(c->ctx, c);
  return c;
}

void rd_tls_ctx_ref(rd_tls_ctx *c) { atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed); }

void rd_tls_ctx_unref(rd_tls_ctx *c) {
  if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1) return;
  if (c->session) SSL_SESSION_free(c->session);
  SSL_CTX_free(c->ctx);
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

rd_tls_ctx *rd_tls_server_ctx(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                              const uint8_t *alpn, size_t alpn_len, char *why, size_t why_cap) {
  ERR_clear_error();
  rd_tls_ctx *c = ctx_new(1);
  if (!c) return set_why(why, why_cap, "cannot create a TLS context"), NULL;
  BIO *bio = BIO_new_mem_buf(cert_pem, (int)cert_len);
  X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  if (!leaf || SSL_CTX_use_certificate(c->ctx, leaf) != 1) {
    set_why(why, why_cap, "certificate");
    goto fail;
  }
  X509 *extra;
  while ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add_extra_chain_cert(c->ctx, extra) != 1) {
      X509_free(extra);
      set_why(why, why_cap, "certificate chain");
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
    set_why(why, why_cap, "private key");
    goto fail;
  }
  EVP_PKEY_free(key);
  BIO_free(bio);
  /* One ticket per handshake (the default two cost a second encryption each time). Tickets carry
     the whole session: no server-side cache to fill, lock and sweep. */
  SSL_CTX_set_num_tickets(c->ctx, 1);
  SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_ticket_cb(c->ctx, NULL, on_ticket, NULL);
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
  rd_tls_ctx_unref(c);
  return NULL;
fail_plain:
  snprintf(why, why_cap, "out of memory");
  rd_tls_ctx_unref(c);
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

rd_tls_ctx *rd_tls_client_ctx(const char *sni, const char *verify_name, const char *ca_pem, size_t ca_len,
                              const uint8_t *alpn, size_t alpn_len, const uint8_t *pin, char *why, size_t why_cap) {
  ERR_clear_error();
  rd_tls_ctx *c = ctx_new(0);
  if (!c) return set_why(why, why_cap, "cannot create a TLS context"), NULL;
  /* AES-128-GCM first, as Go's client orders it on CPUs with AES instructions. */
  SSL_CTX_set_ciphersuites(c->ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
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
      rd_tls_ctx_unref(c);
      return NULL;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
  } else {
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
  }
  if (alpn_len > 0 && SSL_CTX_set_alpn_protos(c->ctx, alpn, (unsigned int)alpn_len) != 0) {
    snprintf(why, why_cap, "bad ALPN list");
    rd_tls_ctx_unref(c);
    return NULL;
  }
  if (pin) {
    memcpy(c->pin, pin, 32);
    c->has_pin = 1;
  }
  return c;
oom:
  snprintf(why, why_cap, "out of memory");
  rd_tls_ctx_unref(c);
  return NULL;
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
      if (ERR_peek_error() == 0) {
        errno = saved ? saved : ECONNRESET;
        snprintf(t->base.why, sizeof t->base.why, "%s: %s", what, saved ? strerror(saved) : "connection closed");
        ERR_clear_error();
        return -1;
      }
      __attribute__((fallthrough)); /* an error on the queue says more */
    default:
      set_why(t->base.why, sizeof t->base.why, what);
      errno = EPROTO;
      return -1;
  }
}

/* Whether the leaf certificate's SHA-256 is the pin; if not, `why` names the one presented. */
static int pin_matches(rd_tls *t) {
  X509 *cert = SSL_get0_peer_certificate(t->ssl);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
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
      snprintf(t->base.why, sizeof t->base.why, "%s", X509_verify_cert_error_string(verify));
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
    if (SSL_read_ex(t->ssl, (uint8_t *)buf + got, cap - got, &n) == 1) {
      got += n;
      continue;
    }
    if (got > 0) {
      ERR_clear_error(); /* the next call sees the same condition again */
      return (ssize_t)got;
    }
    return failed(t, 0, "read");
  }
  return (ssize_t)got;
}

static ssize_t tls_write(rd_layer *l, int fd, const void *buf, size_t len) {
  rd_tls *t = (rd_tls *)l;
  size_t n;
  ERR_clear_error();
  if (SSL_write_ex(t->ssl, buf, len, &n) == 1) return (ssize_t)n;
  int rc = failed(t, 0, "write");
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
  rd_tls_ctx_unref(t->c);
  free(t);
}

static const rd_layer_ops tls_ops = { tls_handshake, tls_read, tls_write, tls_shutdown, tls_free };

rd_layer *rd_tls_layer(rd_tls_ctx *c, int fd) {
  rd_tls *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->ssl = SSL_new(c->ctx);
  if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) {
    SSL_free(t->ssl);
    ERR_clear_error();
    free(t);
    return NULL;
  }
  t->base.ops = &tls_ops;
  t->c = c;
  rd_tls_ctx_ref(c);
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
    /* A copy per connection: OpenSSL marks the session of a connection that failed (an alert, a
       reset) not resumable, and that must not spoil the ticket for every other dial. */
    SSL_SESSION *copy = c->session ? SSL_SESSION_dup(c->session) : NULL;
    if (copy) {
      SSL_set_session(t->ssl, copy);
      SSL_SESSION_free(copy);
    }
  }
  return &t->base;
}

