/* The worker's internals shared by worker.c (the loop, splice relays) and front-conn.c (front connections). */
#ifndef RELAYDESK_WORKER_H
#define RELAYDESK_WORKER_H

#include "front.h"

#include <pthread.h>

enum { CMD_ADD, CMD_CLOSE, CMD_FRONT_ADD, CMD_FRONT_CLOSE, CMD_CONNECT, CMD_REJECT, CMD_RELEASE };

typedef struct { int op; rd_relay *r; rd_front *f; int arg; } rd_cmd;

typedef struct { rd_relay **items; size_t len, cap; } rd_vec;

struct rd_worker {
  int epfd, evfd;
  pthread_t thread;
  rd_post_msg_fn post;
  void *ctx;
  /* Shared with the JS thread, under mu. */
  pthread_mutex_t mu;
  rd_cmd *queue;
  size_t qlen, qcap;
  int stop;
  /* Worker thread only. */
  rd_relay *list;
  rd_relay *ready;
  rd_vec ended; /* list references dropped after the batch: later events may still name them */
  int64_t next_sweep;
  rd_relay *hs_list;     /* front connections not relaying yet (handshake, wait, connecting) */
  int64_t next_deadline; /* earliest deadline among them */
  rd_front *fronts;      /* open listeners */
};

/* Worker thread helpers (worker.c). */
void rd_w_post(rd_worker *w, rd_msg *m);
void rd_w_end_relay(rd_worker *w, rd_relay *r, int kind);
/* Ends a front connection without an END message (the caller posts its own, or none). */
void rd_w_drop(rd_worker *w, rd_relay *r);
void rd_w_insert(rd_worker *w, rd_relay *r);
/* A front connection becomes a relay: idle timer armed, both sockets watched, first pump. */
void rd_w_start_relay(rd_worker *w, rd_relay *r, int64_t now);
void rd_w_hs_remove(rd_worker *w, rd_relay *r);
void rd_w_deadline(rd_worker *w, int64_t at);

/* front-proto.c: parsing a front connection's first bytes. */
/* Parses what arrived; returns 1 when the connection left the handshake (request, handoff, drop). */
int rd_front_parse(rd_worker *w, rd_relay *r, int64_t now);
/* Gives the client's descriptor (or, behind a layer, a bridge to it) and what it sent to JS. */
void rd_front_handoff(rd_worker *w, rd_relay *r, int64_t now);
/*
 * Puts the client into `m` for JS and posts it: its own descriptor (the connection is dropped
 * here), or behind a layer one end of a socketpair the connection now relays to. -1: no socketpair
 * could be made, `m` is freed and the connection left as it was.
 */
int rd_front_give_client(rd_worker *w, rd_relay *r, rd_msg *m, int64_t now);
/* Posts RD_MSG_BAD for a handshake that ended, then drops the connection. */
void rd_front_bad(rd_worker *w, rd_relay *r, const char *kind, const char *reason);
/* The bad-handshake kind of a connection closed now (NULL: nothing was read). */
const char *rd_front_stage_kind(const rd_relay *r);

/* front-conn.c: the worker's side of fronts. */
void rd_front_added(rd_worker *w, rd_front *f, int64_t now);
void rd_front_accept(rd_worker *w, rd_front *f, int64_t now);
void rd_front_conn_event(rd_worker *w, rd_relay *r, int side, uint32_t ev, int64_t now);
void rd_front_connect(rd_worker *w, rd_relay *r, int64_t now);
void rd_front_reject(rd_worker *w, rd_relay *r, int rep);
void rd_front_release(rd_worker *w, rd_relay *r, int64_t now);
void rd_front_close(rd_worker *w, rd_front *f);
void rd_front_sweep(rd_worker *w, int64_t now);

#endif
