/* One relay: descriptors, reference count and the splice pump of one direction. */
#define _GNU_SOURCE
#include "front.h"
#include "layer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef RD_PIPE_SIZE
/* The default pipe size: on loopback 64 KiB, 256 KiB and 1 MiB cost the same CPU per GB, and a
   smaller pipe pins fewer pages per relay under backpressure. */
#define RD_PIPE_SIZE (64 * 1024)
#endif
/* Splice rounds per direction per turn, so one fast relay cannot starve the others. */
#define RD_PUMP_ROUNDS 16

#define SPLICE_FLAGS (SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

int64_t rd_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_pipe(rd_dir *d) {
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) return -1;
  /* Best effort: the limits (fs.pipe-max-size, per-user pages) may refuse a bigger pipe. */
  if (RD_PIPE_SIZE != 65536) fcntl(p[1], F_SETPIPE_SZ, RD_PIPE_SIZE);
  int sz = fcntl(p[1], F_GETPIPE_SZ);
  d->cap = sz > 0 ? (size_t)sz : 65536;
  d->pipe_r = p[0];
  d->pipe_w = p[1];
  return 0;
}

rd_relay *rd_relay_new(int64_t idle_ms) {
  rd_relay *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  atomic_init(&r->refs, 1);
  r->fd[0] = r->fd[1] = -1;
  for (int d = 0; d < 2; d++) {
    r->dir[d].pipe_r = r->dir[d].pipe_w = -1;
    atomic_init(&r->dir[d].moved, 0);
    /* Edge-triggered epoll: start as if both ends were ready, the first EAGAIN corrects it. */
    r->dir[d].may_read = r->dir[d].may_write = 1;
  }
  r->idle_ms = idle_ms > 0 ? idle_ms : 0;
  r->last_active_ms = rd_now_ms();
  for (int s = 0; s < 2; s++) {
    r->ep[s].relay = r;
    r->ep[s].side = s;
  }
  return r;
}

int rd_relay_open_pipes(rd_relay *r) {
  return open_pipe(&r->dir[0]) < 0 || open_pipe(&r->dir[1]) < 0 ? -1 : 0;
}

rd_relay *rd_relay_create(int client_fd, int remote_fd, int64_t idle_ms) {
  rd_relay *r = rd_relay_new(idle_ms);
  if (!r) return NULL;
  r->fd[0] = fcntl(client_fd, F_DUPFD_CLOEXEC, 3);
  if (r->fd[0] < 0) goto fail;
  r->fd[1] = fcntl(remote_fd, F_DUPFD_CLOEXEC, 3);
  if (r->fd[1] < 0) goto fail;
  if (rd_relay_open_pipes(r) < 0) goto fail;
  return r;
fail: {
    int saved = errno;
    rd_relay_close_fds(r);
    free(r);
    errno = saved;
    return NULL;
  }
}

void rd_relay_free_layers(rd_relay *r) {
  for (int i = 0; i < 2; i++) {
    rd_layer *l = r->layer[i];
    if (l && i == r->end_side && l->why[0] && !r->end_why) r->end_why = strdup(l->why);
    if (l) l->ops->free(l);
    r->layer[i] = NULL;
    free(r->dir[i].buf);
    r->dir[i].buf = NULL;
  }
}

void rd_relay_free_hs(rd_relay *r) {
  rd_hs *hs = r->hs;
  if (!hs) return;
  free(hs->prefix);
  if (hs->tls_client) rd_tls_ctx_unref(hs->tls_client);
  free(hs->ws_path);
  free(hs->ws_host);
  free(hs);
  r->hs = NULL;
}

void rd_relay_ref(rd_relay *r) { atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed); }

void rd_relay_unref(rd_relay *r) {
  if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1) return;
  rd_relay_close_fds(r);
  rd_relay_free_layers(r);
  free(r->end_why);
  rd_relay_free_hs(r);
  if (r->front) rd_front_unref(r->front);
  free(r);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

void rd_relay_close_fds(rd_relay *r) {
  for (int d = 0; d < 2; d++) {
    close_fd(&r->dir[d].pipe_r);
    close_fd(&r->dir[d].pipe_w);
  }
  close_fd(&r->fd[0]);
  close_fd(&r->fd[1]);
}

int rd_relay_fail(rd_relay *r, int side, int op) {
  r->end_errno = errno;
  r->end_side = side;
  r->end_op = op;
  return -1;
}

/*
 * Reads and drops the remote's VLESS response header ([version 0][addons length][addons]) before
 * the first splice of the down direction. 0: done or waiting for bytes; -1: error set.
 */
static int strip_vless(rd_relay *r) {
  rd_dir *x = &r->dir[1];
  uint8_t drop[256];
  while (r->strip && x->may_read) {
    size_t need = r->strip_got < 2 ? 2 - (size_t)r->strip_got : 2 + (size_t)r->strip_hdr[1] - r->strip_got;
    uint8_t *into = r->strip_got < 2 ? r->strip_hdr + r->strip_got : drop;
    ssize_t n = recv(r->fd[1], into, need, MSG_DONTWAIT);
    if (n > 0) {
      r->strip_got += (uint8_t)n;
      if (r->strip_got >= 1 && r->strip_hdr[0] != 0) {
        errno = EPROTO; /* not VLESS version 0 */
        return rd_relay_fail(r, 1, RD_OP_READ);
      }
      if (r->strip_got >= 2 && r->strip_got == 2 + r->strip_hdr[1]) r->strip = 0;
    } else if (n == 0) {
      errno = ECONNRESET; /* closed before its response header */
      return rd_relay_fail(r, 1, RD_OP_READ);
    } else if (errno == EAGAIN) {
      x->may_read = 0;
    } else if (errno != EINTR) {
      return rd_relay_fail(r, 1, RD_OP_READ);
    }
  }
  return 0;
}

int rd_relay_pump(rd_relay *r, int d, int64_t now_ms) {
  if (r->layer[0] || r->layer[1]) return rd_relay_copy_pump(r, d, now_ms);
  rd_dir *x = &r->dir[d];
  if (d == 1 && r->strip) {
    if (strip_vless(r) < 0) return -1;
    if (r->strip) return 0;
  }
  int src = r->fd[d], dst = r->fd[1 - d];
  for (int round = 0; round < RD_PUMP_ROUNDS; round++) {
    int progress = 0;
    if (!x->eof && x->may_read) {
      ssize_t n = splice(src, NULL, x->pipe_w, NULL, x->cap, SPLICE_FLAGS);
      if (n > 0) {
        x->pending += (size_t)n;
        r->last_active_ms = now_ms;
        progress = 1;
      } else if (n == 0) {
        x->eof = 1;
        progress = 1;
      } else if (errno == EAGAIN) {
        /* With an empty pipe EAGAIN can only mean the socket is drained: wait for its edge.
           With a non-empty pipe it may be the pipe that is full: retry once it drained. */
        if (x->pending == 0) x->may_read = 0;
      } else if (errno == EINTR) {
        progress = 1;
      } else {
        return rd_relay_fail(r, d, RD_OP_READ);
      }
    }
    if (x->pending > 0 && x->may_write) {
      ssize_t n = splice(x->pipe_r, NULL, dst, NULL, x->pending, SPLICE_FLAGS);
      if (n > 0) {
        x->pending -= (size_t)n;
        atomic_fetch_add_explicit(&x->moved, (uint64_t)n, memory_order_relaxed);
        r->last_active_ms = now_ms;
        progress = 1;
      } else if (n < 0 && errno == EAGAIN) {
        x->may_write = 0; /* backpressure: the data waits in the pipe for EPOLLOUT */
      } else if (n < 0 && errno == EINTR) {
        progress = 1;
      } else {
        if (n == 0) errno = EPIPE;
        return rd_relay_fail(r, 1 - d, RD_OP_WRITE);
      }
    }
    if (x->eof && x->pending == 0 && !x->shut) {
      x->shut = 1;
      /* ENOTCONN here means dst is already gone: the other direction reports it. */
      shutdown(dst, SHUT_WR);
    }
    if (!progress) return 0;
  }
  return 1;
}

int rd_relay_finished(const rd_relay *r) { return r->dir[0].shut && r->dir[1].shut; }
