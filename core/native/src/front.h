/*
 * A native SOCKS5 front: a listening socket whose connections are accepted, taken through the
 * SOCKS5 no-auth handshake up to a CONNECT request, and connected on the worker thread; JS only
 * routes (one event per request) and tracks the relay that follows. Everything else (HTTP on the
 * same port, authentication, UDP ASSOCIATE, malformed input, pipelined data) is handed to JS with
 * the bytes read so far, so the JS inbound stays the one place those rules live.
 */
#ifndef RELAYDESK_FRONT_H
#define RELAYDESK_FRONT_H

#include "relay.h"
#include "tls.h"
#include "ws.h"

#include <sys/socket.h>

/* What a front speaks to its clients. */
enum rd_proto { RD_PROTO_SOCKS5 = 0, RD_PROTO_VLESS = 1 };

typedef struct rd_front {
  rd_endpoint ep;       /* first member: the listener's epoll pointer (relay = NULL) */
  _Atomic int refs;
  int fd;
  int proto;            /* RD_PROTO_* */
  int64_t handshake_ms;
  int spare_fd;         /* /dev/null, given up to accept-and-close a client when descriptors run out */
  int closed;           /* worker: listener closed */
  rd_tls_ctx *tls;      /* VLESS over TLS: the server context (NULL: plain TCP) */
  char *ws_path;        /* VLESS over WebSocket: the upgrade path (NULL: none) */
  struct rd_front *prev, *next; /* worker's list of open listeners */
  void *js_on_event;    /* JS thread: napi_ref of the front's event callback */
} rd_front;

/* Handshake state of one front connection (worker-owned, except dst/connect_ms/idle set by JS in WAIT). */
typedef struct rd_hs {
  uint8_t buf[600];     /* SOCKS5: greeting (<= 257) + request (<= 262); VLESS: header (<= 533) */
  size_t len;
  int stage;            /* SOCKS5: 0 = greeting, 1 = request (no-auth selected and answered) */
  size_t head;          /* VLESS: where the payload after the header starts in buf */
  struct sockaddr_storage peer;
  uint8_t uuid[16];     /* VLESS */
  uint8_t atyp;         /* SOCKS5 numbering (1 IPv4, 3 name, 4 IPv6), VLESS's mapped to it */
  char host[256];
  uint16_t port;
  struct sockaddr_storage dst;
  socklen_t dstlen;
  int64_t connect_ms;
  uint8_t *prefix;      /* JS: bytes for the remote before anything else (a VLESS request header) */
  size_t prefix_len;
  int strip_vless;      /* JS: the remote answers with a VLESS response header to drop */
  rd_tls_ctx *tls_client; /* JS: TLS to the remote after connecting (a VLESS server over TLS) */
  char *ws_path, *ws_host; /* JS: a WebSocket upgrade to the remote after connecting (path, Host header) */
  int layer_up;         /* the first layer's handshake is done (TLS; a dial: TLS or the upgrade) */
  int ws_up;            /* a WebSocket front answered the upgrade (over TLS or not) */
} rd_hs;

/* What the worker posts to the JS thread. */
enum rd_msg_type {
  RD_MSG_END = 0,    /* r ended (splice relay or front connection) */
  RD_MSG_REQUEST,    /* r sent a CONNECT: route it */
  RD_MSG_HANDOFF,    /* fd (now JS's) needs the JS inbound: bytes read so far, stage (RD_STAGE_*) */
  RD_MSG_BAD,        /* a handshake ended: timeout or the client left (kind may be NULL: nothing read) */
  RD_MSG_CONNECTED,  /* r's remote connected, the SOCKS5 success reply went out, bytes flow */
  RD_MSG_RELEASED,   /* fd of r (now JS's), after JS asked for it */
  RD_MSG_FRONT_CLOSED,
};

/* Where a handed-over client is: SOCKS5 before or after the greeting, or a bridge that carries the
   plain bytes of a client behind TLS or WebSocket, which stay native: its VLESS stream (stage 2),
   or, on a WebSocket-over-TLS port, an HTTP request that is no upgrade to the path (stage 3). */
enum { RD_STAGE_FIRST = 0, RD_STAGE_REQUEST = 1, RD_STAGE_BRIDGED = 2, RD_STAGE_BRIDGED_HTTP = 3 };

typedef struct rd_msg {
  int type;
  rd_relay *r;        /* one reference, or NULL */
  rd_front *f;        /* one reference, or NULL */
  int fd;
  int stage;
  const char *kind;
  const char *reason;
  size_t len;
  uint8_t bytes[600];   /* HANDOFF: what was read; REQUEST (VLESS): the payload after the header */
  struct sockaddr_storage peer;
} rd_msg;

rd_msg *rd_msg_new(int type, rd_relay *r, rd_front *f);

void rd_front_ref(rd_front *f);
void rd_front_unref(rd_front *f);

/* JS thread: a bound, listening, non-blocking socket for `ip` (IPv4 or IPv6 literal); -1 + errno. */
int rd_front_listen(const char *ip, int port, int backlog, int *bound_port);

/* SOCKS5 reply with BND.ADDR 0.0.0.0:0 (failures). */
void rd_socks_fail_reply(uint8_t out[10], int rep);
/* The reply code for a failed connect (RFC 1928 §6, as the JS inbound maps dial errors). */
int rd_socks_rep_for_errno(int err);

#endif
