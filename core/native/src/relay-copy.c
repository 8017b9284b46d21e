/*
 * The pump of relays with a layer (TLS) on a side: bytes go src -> buffer -> dst in user space,
 * one 64 KiB buffer per direction while data is in flight (none for an idle connection).
 */
#define _GNU_SOURCE
#include "front.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#define RD_COPY_BUF (64 * 1024)
/* Read/write rounds per direction per turn, so one fast relay cannot starve the others. */
#define RD_COPY_ROUNDS 16
/* Idle timeout once one direction ended without a way to tell the other side. */
#define RD_LAME_IDLE_MS 2000

ssize_t rd_side_read(rd_relay *r, int side, void *buf, size_t cap) {
  rd_layer *l = r->layer[side];
  if (l) return l->ops->read(l, r->fd[side], buf, cap);
  return recv(r->fd[side], buf, cap, MSG_DONTWAIT);
}

ssize_t rd_side_write(rd_relay *r, int side, const void *buf, size_t len) {
  rd_layer *l = r->layer[side];
  if (l) return l->ops->write(l, r->fd[side], buf, len);
  return send(r->fd[side], buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int rd_relay_strip(rd_relay *r, const uint8_t *buf, size_t *off, size_t len) {
  while (r->strip && *off < len) {
    if (r->strip_got < 2) {
      r->strip_hdr[r->strip_got++] = buf[(*off)++];
      if (r->strip_hdr[0] != 0) return -1; /* not VLESS version 0 */
    } else {
      size_t want = 2 + (size_t)r->strip_hdr[1] - r->strip_got, have = len - *off;
      size_t n = want < have ? want : have;
      *off += n;
      r->strip_got += (uint8_t)n;
    }
    if (r->strip_got >= 2 && r->strip_got == 2 + r->strip_hdr[1]) r->strip = 0;
  }
  return 0;
}

int rd_relay_copy_pump(rd_relay *r, int d, int64_t now_ms) {
  rd_dir *x = &r->dir[d];
  int src = d, dst = 1 - d;
  for (int round = 0; round < RD_COPY_ROUNDS; round++) {
    int progress = 0;
    if (x->off == x->len && !x->eof && x->may_read) {
      if (!x->buf && !(x->buf = malloc(RD_COPY_BUF))) {
        errno = ENOMEM;
        return rd_relay_fail(r, src, RD_OP_READ);
      }
      ssize_t n = rd_side_read(r, src, x->buf, RD_COPY_BUF);
      if (n > 0) {
        x->off = 0;
        x->len = (size_t)n;
        r->last_active_ms = now_ms;
        progress = 1;
        if (d == 1 && r->strip && rd_relay_strip(r, x->buf, &x->off, x->len) < 0) {
          errno = EPROTO;
          return rd_relay_fail(r, src, RD_OP_READ);
        }
      } else if (n == 0) {
        if (d == 1 && r->strip) {
          errno = ECONNRESET; /* closed before its response header */
          return rd_relay_fail(r, src, RD_OP_READ);
        }
        x->eof = 1;
        progress = 1;
      } else if (errno == EAGAIN) {
        x->may_read = 0;
      } else if (errno == EINTR) {
        progress = 1;
      } else {
        return rd_relay_fail(r, src, RD_OP_READ);
      }
    }
    if (x->off < x->len && x->may_write) {
      ssize_t n = rd_side_write(r, dst, x->buf + x->off, x->len - x->off);
      if (n > 0) {
        x->off += (size_t)n;
        atomic_fetch_add_explicit(&x->moved, (uint64_t)n, memory_order_relaxed);
        r->last_active_ms = now_ms;
        progress = 1;
      } else if (n < 0 && errno == EAGAIN) {
        x->may_write = 0; /* backpressure: the bytes wait in buf for EPOLLOUT */
      } else if (n < 0 && errno == EINTR) {
        progress = 1;
      } else {
        if (n == 0) errno = EPIPE;
        return rd_relay_fail(r, dst, RD_OP_WRITE);
      }
    }
    if (x->off == x->len && x->buf && (!x->may_read || x->eof)) {
      free(x->buf); /* drained and nothing to read: an idle connection holds no buffer */
      x->buf = NULL;
      x->off = x->len = 0;
    }
    if (x->eof && x->off == x->len && !x->shut) {
      x->shut = 1;
      rd_layer *l = r->layer[dst];
      if (!l || l->ops->shutdown(l, r->fd[dst])) {
        shutdown(r->fd[dst], SHUT_WR);
      } else if (!r->idle_ms || r->idle_ms > RD_LAME_IDLE_MS) {
        /* The end cannot be passed on (a WebSocket has no half-close): the other way may still
           bring a reply, but only while it keeps moving, as v2ray's uplinkOnly timeout does. */
        r->idle_ms = RD_LAME_IDLE_MS;
        r->idle_changed = 1;
      }
    }
    if (!progress) return 0;
  }
  return 1;
}
