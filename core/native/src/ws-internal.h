/* What ws.c (frames) and ws-http.c (the upgrade heads) share. */
#ifndef RELAYDESK_WS_INTERNAL_H
#define RELAYDESK_WS_INTERNAL_H

#include "ws.h"

#include <sys/types.h>

/* Largest upgrade response head a client reads. */
#define HEAD_MAX 4096

typedef struct {
  rd_layer base;
  int server;              /* accepted: reads masked frames, writes plain ones */
  rd_layer *under;         /* TLS under the WebSocket (wss), or NULL: the socket itself */
  int under_up;            /* client: the layer under it finished its handshake */
  /* Client handshake. */
  char *request;
  size_t req_len, req_off;
  char accept[29];
  uint8_t *head;
  size_t head_len;
  /* Frames in. */
  uint8_t *pre;            /* frame bytes that came with the handshake, read first */
  size_t pre_off, pre_len;
  uint8_t hdr[14], hdr_len, in_payload, opcode, mask[4], mask_pos, ctl_len;
  uint64_t left;           /* payload bytes still due in the current frame */
  uint8_t ctl[125];
  int close_got, close_sent, eof;
  /* Frames out: tx[tx_off, tx_len) waits for the socket; tx_payload stream bytes are in it. */
  uint8_t *tx;
  size_t tx_off, tx_len, tx_cap, tx_payload;
  uint64_t rng;
} rd_ws;

/* Client: sends the upgrade request, reads and checks the 101 (the layer's handshake op). */
int rd_ws_client_handshake(rd_layer *l, int fd);

/* Bytes from and to what is under the WebSocket: the socket, or TLS. As recv/send (-1 + errno);
   a failure of TLS leaves its words in the WebSocket's `why`. */
ssize_t rd_ws_io_read(rd_ws *w, int fd, void *buf, size_t cap);
ssize_t rd_ws_io_write(rd_ws *w, int fd, const void *buf, size_t len);

#endif
