/* Fronts: listener set-up on the JS thread, reference counting, messages and SOCKS5 reply bytes. */
#define _GNU_SOURCE
#include "front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

rd_msg *rd_msg_new(int type, rd_relay *r, rd_front *f) {
  rd_msg *m = malloc(sizeof *m);
  if (!m) return NULL;
  m->type = type;
  m->r = r;
  m->f = f;
  if (f && type != RD_MSG_FRONT_CLOSED) rd_front_ref(f);
  m->fd = -1;
  m->stage = 0;
  m->kind = m->reason = NULL;
  m->len = 0;
  m->peer.ss_family = AF_UNSPEC;
  return m;
}

void rd_front_ref(rd_front *f) { atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed); }

void rd_front_unref(rd_front *f) {
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
  if (f->fd >= 0) close(f->fd);
  if (f->spare_fd >= 0) close(f->spare_fd);
  if (f->tls) rd_tls_ctx_unref(f->tls);
  free(f->ws_path);
  free(f);
}

int rd_front_listen(const char *ip, int port, int backlog, int *bound_port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    len = sizeof *a4;
  } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    len = sizeof *a6;
  } else {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1, zero = 0;
  /* As libuv does: SO_REUSEADDR, and "::" takes IPv4 as well. */
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0) goto fail;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) goto fail;
  *bound_port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
  return fd;
fail: {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
}

void rd_socks_fail_reply(uint8_t out[10], int rep) {
  memset(out, 0, 10);
  out[0] = 5;
  out[1] = (uint8_t)rep;
  out[3] = 1;
}

int rd_socks_rep_for_errno(int err) {
  switch (err) {
    case ECONNREFUSED: return 5;
    case EHOSTUNREACH: case EHOSTDOWN: return 4;
    case ENETUNREACH: case ENETDOWN: case EADDRNOTAVAIL: return 3;
    case ETIMEDOUT: return 6;
    default: return 1;
  }
}
