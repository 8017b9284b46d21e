/* What ws.c (frames) and ws-http.c (the upgrade heads) share. */
#ifndef RELAYDESK_WS_INTERNAL_H
#define RELAYDESK_WS_INTERNAL_H

#include "ws.h"

/* Largest upgrade response head a client reads. */
#define HEAD_MAX 4096

typedef struct {
  rd_layer base;
  int server;              /* accepted: reads masked frames, writes plain ones */
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

#endif
