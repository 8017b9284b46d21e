/*
 * The socket under a BoringSSL connection. BoringSSL reads a record's 5-byte header and then its
 * body, each with a read(2) of its own, and cannot read ahead (OpenSSL's build reads up to 64 KiB
 * at once): this BIO does it. A read for less than a record's worth fills a buffer with all the
 * socket has (up to 64 KiB), and later reads are served from it; the buffer is freed once drained,
 * so an idle connection holds none. A whole resumed handshake flight then costs one read(2), not
 * six. Writes go straight to the socket.
 */
#define _GNU_SOURCE
#include "tls-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define AHEAD (64 * 1024)

typedef struct {
  int fd;
  uint8_t *buf; /* NULL when empty */
  size_t off, len;
} fd_bio;

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static int bio_read(BIO *b, char *out, int want) {
  fd_bio *s = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (want <= 0) return 0;
  if (s->len == 0) {
    /* A read as large as the buffer gains nothing from it: straight into BoringSSL's. */
    int direct = (size_t)want >= AHEAD;
    if (!direct && s->buf == NULL && (s->buf = malloc(AHEAD)) == NULL) {
      errno = ENOMEM;
      return -1;
    }
    ssize_t n;
    do n = read(s->fd, direct ? (void *)out : s->buf, direct ? (size_t)want : AHEAD);
    while (n < 0 && errno == EINTR);
    if (n <= 0 || direct) {
      if (n < 0 && errno == EAGAIN) BIO_set_retry_read(b);
      int saved = errno;
      free(s->buf);
      s->buf = NULL;
      errno = saved;
      return (int)n;
    }
    s->off = 0;
    s->len = (size_t)n;
  }
  size_t take = (size_t)want < s->len ? (size_t)want : s->len;
  memcpy(out, s->buf + s->off, take);
  s->off += take;
  s->len -= take;
  if (s->len == 0) {
    free(s->buf);
    s->buf = NULL;
  }
  return (int)take;
}

static int bio_write(BIO *b, const char *in, int len) {
  fd_bio *s = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  ssize_t n;
  do n = send(s->fd, in, (size_t)len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) BIO_set_retry_write(b);
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* nothing is held back on the write side */
}

static int bio_destroy(BIO *b) {
  fd_bio *s = BIO_get_data(b);
  if (s != NULL) {
    free(s->buf);
    free(s);
    BIO_set_data(b, NULL);
  }
  return 1;
}

static void make_method(void) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "relaydesk socket");
  if (m != NULL && BIO_meth_set_read(m, bio_read) && BIO_meth_set_write(m, bio_write) &&
      BIO_meth_set_ctrl(m, bio_ctrl) && BIO_meth_set_destroy(m, bio_destroy)) {
    method = m; /* for the life of the process */
  }
}

int rd_bssl_set_fd(SSL *ssl, int fd) {
  pthread_once(&method_once, make_method);
  fd_bio *s = method != NULL ? calloc(1, sizeof *s) : NULL;
  BIO *b = s != NULL ? BIO_new(method) : NULL;
  if (b == NULL) {
    free(s);
    return 0;
  }
  s->fd = fd;
  BIO_set_data(b, s);
  BIO_set_init(b, 1);
  SSL_set_bio(ssl, b, b); /* one reference, taken by the SSL */
  return 1;
}
