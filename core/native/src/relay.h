/*
 * One spliced relay between two connected TCP sockets, and the worker thread that drives them.
 *
 * Ownership: the relay works on its own dup()s of the caller's descriptors, so the caller may
 * close its sockets at any time without the worker ever touching a reused descriptor number.
 * The struct is reference counted: the JS handle, the worker's list, each queued command and
 * each pending completion hold one reference.
 */
#ifndef RELAYDESK_RELAY_H
#define RELAYDESK_RELAY_H

#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/* How a relay ended, reported once to JS. */
enum rd_end_kind { RD_END_DONE = 0, RD_END_ERROR, RD_END_IDLE, RD_END_CLOSED };

/* Which syscall failed, for the error message ("remote read ECONNRESET"). */
enum rd_op { RD_OP_READ = 0, RD_OP_WRITE, RD_OP_SOCKET, RD_OP_CONNECT, RD_OP_HANDSHAKE };

/*
 * Where a connection is. Relays handed over by JS start at RELAY; connections accepted by a
 * native front (front.h) go HANDSHAKE -> WAIT (JS routes) -> CONNECTING -> RELAY.
 */
enum rd_phase { RD_PHASE_RELAY = 0, RD_PHASE_HANDSHAKE, RD_PHASE_WAIT, RD_PHASE_CONNECTING };

struct rd_relay;
struct rd_front;
struct rd_hs;
struct rd_layer;

/* What epoll reports for one socket: the relay and which of its two sockets (or a listener). */
#define RD_SIDE_LISTENER 2
typedef struct rd_endpoint {
  struct rd_relay *relay; /* NULL for a listener: the endpoint is the first member of its rd_front */
  int side; /* 0 = client, 1 = remote, RD_SIDE_LISTENER */
} rd_endpoint;

/*
 * One direction: src socket -> pipe -> dst socket, or with a layer on either side src -> buf ->
 * dst (relay-copy.c). Worker-only except `moved`.
 */
typedef struct rd_dir {
  int pipe_r, pipe_w;
  size_t cap;          /* pipe capacity: how much one splice into it may take */
  size_t pending;      /* bytes sitting in the pipe */
  uint8_t *buf;        /* copy relays: bytes read and not yet written are buf[off, len); freed when drained */
  size_t off, len;
  unsigned may_read;   /* src may have data, EOF or an error (edge seen, no EAGAIN since) */
  unsigned may_write;  /* dst may accept data */
  unsigned eof;        /* src returned EOF */
  unsigned shut;       /* dst was shut down for writing (this direction is finished) */
  _Atomic uint64_t moved; /* bytes written to dst; read by JS with relaxed loads */
} rd_dir;

typedef struct rd_relay {
  _Atomic int refs;
  int fd[2];          /* our dups: 0 = client, 1 = remote */
  rd_endpoint ep[2];
  rd_dir dir[2];      /* 0 = up (client -> remote), 1 = down (remote -> client) */
  int64_t idle_ms;    /* 0 = no idle timeout */
  int idle_changed;   /* idle_ms was shortened by the pump: the worker reschedules its sweep */
  int64_t last_active_ms;
  /* Worker-only bookkeeping. */
  int done;
  int in_ready;
  struct rd_relay *prev, *next;  /* worker's list of live relays */
  struct rd_relay *ready_next;   /* relays whose pump stopped on its budget, not on EAGAIN */
  /* Outcome, written by the worker before the completion is posted. */
  int end_kind, end_errno, end_side, end_op;
  char *end_why;      /* what the failing side's layer said (TLS, WebSocket), kept when layers are freed */
  /* JS thread only: the onEnd callback (front connections: the per-connection event callback). */
  void *js_on_end;
  int js_ended;           /* JS thread: the END was delivered */
  int js_releasing;       /* JS thread: js_on_end is a frontRelease callback */
  /* Front connections only (worker-owned until RELAY): see front.h. */
  int phase;
  struct rd_front *front;  /* holds a reference on the front */
  struct rd_hs *hs;        /* handshake state, freed when the relay starts */
  int64_t deadline_ms;     /* handshake or connect deadline */
  struct rd_layer *layer[2]; /* TLS on the client (server front) or remote (client dial) side; freed with the relay */
  /* Remote -> client only after the remote's VLESS response header (version, addons) is dropped. */
  uint8_t strip;           /* 1 while the header is still due */
  uint8_t strip_got;       /* header bytes read so far */
  uint8_t strip_hdr[2];
  struct rd_relay *hs_prev, *hs_next; /* worker's list of connections not yet relaying */
} rd_relay;

/* Creates a relay on dups of the two descriptors; returns NULL with errno set. Refs = 1. */
rd_relay *rd_relay_create(int client_fd, int remote_fd, int64_t idle_ms);
/* A relay with no descriptors yet (fd = -1, no pipes): for front connections. Refs = 1. */
rd_relay *rd_relay_new(int64_t idle_ms);
/* Opens the two pipes of a relay made by rd_relay_new; -1 with errno set. */
int rd_relay_open_pipes(rd_relay *r);
void rd_relay_ref(rd_relay *r);
/* Frees a front connection's handshake state (rd_hs), what JS attached to it included. */
void rd_relay_free_hs(rd_relay *r);
/* Drops one reference; the last one closes whatever descriptors are still open and frees. */
void rd_relay_unref(rd_relay *r);
/* Closes the relay's pipes and dups (idempotent). The worker removes them from epoll first. */
void rd_relay_close_fds(rd_relay *r);
/*
 * Worker: frees the layers (an SSL object each) and copy buffers of a relay that ended, keeping
 * the failing side's words in end_why. The struct itself lives on until JS drops its handle, which
 * can be a garbage collection later: nothing big may wait for that.
 */
void rd_relay_free_layers(rd_relay *r);

/*
 * Moves bytes in direction d until both ends would block, the budget is spent (returns 1: call
 * again later) or an error happens (returns -1 with end_errno/end_side/end_op set). Returns 0
 * when blocked or finished.
 */
int rd_relay_pump(rd_relay *r, int d, int64_t now_ms);
/* rd_relay_pump for relays with a layer: through user-space buffers (relay-copy.c). */
int rd_relay_copy_pump(rd_relay *r, int d, int64_t now_ms);
/* Plain bytes from / to one side, through its layer if it has one: as recv/send (-1 + errno). */
ssize_t rd_side_read(rd_relay *r, int side, void *buf, size_t cap);
ssize_t rd_side_write(rd_relay *r, int side, const void *buf, size_t len);
/* Records a failure of `op` on `side` (errno) as the relay's outcome; returns -1. */
int rd_relay_fail(rd_relay *r, int side, int op);
/* Drops the VLESS response header from the front of buf[*off, len) while it is due; -1: not VLESS. */
int rd_relay_strip(rd_relay *r, const uint8_t *buf, size_t *off, size_t len);
/* Both directions ended with EOF propagated as shutdown(SHUT_WR). */
int rd_relay_finished(const rd_relay *r);

/* Monotonic milliseconds (coarse clock: cheap, a few ms of resolution is enough here). */
int64_t rd_now_ms(void);

/* The worker: one thread, one epoll instance, every relay of one JS environment. */
typedef struct rd_worker rd_worker;
struct rd_msg;
/* Called on the worker thread for every message to JS (front.h: ends, front events). */
typedef void (*rd_post_msg_fn)(void *ctx, struct rd_msg *m);

rd_worker *rd_worker_start(rd_post_msg_fn post, void *ctx);
/* Queue a new relay (takes its own reference) / ask to end one; both wake the worker. */
int rd_worker_add(rd_worker *w, rd_relay *r);
int rd_worker_close(rd_worker *w, rd_relay *r);
/* Queue a front command (worker.h CMD_*); r and f (either may be NULL) each get a reference. */
int rd_worker_front(rd_worker *w, int op, rd_relay *r, struct rd_front *f, int arg);
/*
 * Stops and joins the thread, closes the descriptors of every relay it still had (their JS
 * callbacks are never called: the environment is going away) and frees the worker.
 */
void rd_worker_stop(rd_worker *w);

#endif
