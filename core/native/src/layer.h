/*
 * A layer between a relay's socket and the bytes it carries: TLS (tls.c), WebSocket (ws.c). A relay with a layer on
 * either side moves bytes through user-space buffers (relay-copy.c) instead of splicing them.
 */
#ifndef RELAYDESK_LAYER_H
#define RELAYDESK_LAYER_H

#include <stddef.h>
#include <sys/types.h>

typedef struct rd_layer rd_layer;

typedef struct {
  /* Advances the layer's own handshake on fd: 1 done, 0 call again on the next event, -1 failed
     (errno set: ECONNRESET/EPIPE when the peer left, EPROTO otherwise; `why` says what). */
  int (*handshake)(rd_layer *l, int fd);
  /* Plain bytes: > 0 read, 0 end of stream, -1 with errno (EAGAIN: wait for the socket). */
  ssize_t (*read)(rd_layer *l, int fd, void *buf, size_t cap);
  /* Takes up to len plain bytes: > 0 taken, -1 with errno (EAGAIN: call again with the same
     bytes once the socket is writable). */
  ssize_t (*write)(rd_layer *l, int fd, const void *buf, size_t len);
  /* The end of the plain stream (TLS close_notify, a WebSocket close frame); best effort. Returns
     whether the caller should also shut the socket's write side (WebSocket has no half-close). */
  int (*shutdown)(rd_layer *l, int fd);
  void (*free)(rd_layer *l);
} rd_layer_ops;

struct rd_layer {
  const rd_layer_ops *ops;
  char why[160]; /* the last failure in words, for the log ("certificate verify failed") */
};

#endif
