/*
 * The worker's side of native fronts: accept, the SOCKS5 no-auth greeting and CONNECT request,
 * the connect JS asked for, the reply, and the switch to a spliced relay. Anything off that path
 * goes to JS (RD_MSG_HANDOFF) with the bytes read so far.
 */
#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <sys/socket.h>

#define ACCEPTS_PER_TURN 64

static void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int watch(rd_worker *w, int op, int fd, rd_endpoint *ep, uint32_t events) {
  struct epoll_event ev = { .events = events, .data.ptr = ep };
  return epoll_ctl(w->epfd, op, fd, &ev);
}

/* Closes the listener and the handshakes in progress; drops the reference CMD_FRONT_ADD left. */
static void stop_listening(rd_worker *w, rd_front *f) {
  if (f->closed) return;
  f->closed = 1;
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, f->fd, NULL);
  close(f->fd);
  f->fd = -1;
  if (f->spare_fd >= 0) close(f->spare_fd);
  f->spare_fd = -1;
  if (f->prev) f->prev->next = f->next;
  else w->fronts = f->next;
  if (f->next) f->next->prev = f->prev;
  /* Connections JS already holds are JS's to close. */
  rd_relay *nx;
  for (rd_relay *r = w->hs_list; r; r = nx) {
    nx = r->hs_next;
    if (r->front == f && r->phase == RD_PHASE_HANDSHAKE) rd_w_drop(w, r);
  }
  rd_front_unref(f);
}

void rd_front_added(rd_worker *w, rd_front *f, int64_t now) {
  (void)now;
  f->prev = NULL;
  f->next = w->fronts;
  if (w->fronts) w->fronts->prev = f;
  w->fronts = f;
  /* Level-triggered: a backlog left by ACCEPTS_PER_TURN is taken on the next turn. */
  if (watch(w, EPOLL_CTL_ADD, f->fd, &f->ep, EPOLLIN) < 0) stop_listening(w, f);
}

/* A TLS handshake with the client failed: counted as "protocol" unless the client just left. */
static void client_layer_failed(rd_worker *w, rd_relay *r) {
  int left = errno == ECONNRESET || errno == EPIPE;
  rd_front_bad(w, r, left ? NULL : "protocol", r->layer[0]->why);
}

static int write_fresh(rd_relay *r, int side, const uint8_t *b, size_t len);

/*
 * A WebSocket front reads the upgrade request first (through TLS for wss): a valid upgrade to its path is answered 101
 * here and the VLESS header then comes in frames; anything else goes to the JS acceptor as is.
 * Returns 1 when the connection left this stage or was handed over, 0 when the head is incomplete.
 */
static int ws_upgrade(rd_worker *w, rd_relay *r, int64_t now) {
  rd_hs *hs = r->hs;
  for (;;) {
    if (hs->len == sizeof hs->buf) return rd_front_handoff(w, r, now), 1; /* a long head: JS reads it */
    ssize_t n = rd_side_read(r, 0, hs->buf + hs->len, sizeof hs->buf - hs->len); /* through TLS for wss */
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      if (hs->len > 0) return rd_front_handoff(w, r, now), 1;
      return rd_front_bad(w, r, NULL, "client closed during the handshake"), 1;
    }
    if (n < 0) {
      if (errno == EAGAIN) return 0;
      continue;
    }
    hs->len += (size_t)n;
    size_t end;
    char accept[29];
    int rc = rd_ws_server_head(hs->buf, hs->len, r->front->ws_path, &end, accept);
    if (rc == 0) continue;
    if (rc < 0) return rd_front_handoff(w, r, now), 1;
    char answer[160];
    int alen = snprintf(answer, sizeof answer, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    rd_layer *ws = write_fresh(r, 0, (const uint8_t *)answer, (size_t)alen) < 0 ? NULL : rd_ws_server_layer(hs->buf + end, hs->len - end, r->layer[0]);
    if (!ws) return rd_front_bad(w, r, NULL, "cannot answer the upgrade"), 1;
    r->layer[0] = ws; /* the TLS layer, if any, is under it now */
    hs->len = 0;
    hs->ws_up = 1;
    return 0;
  }
}

static void on_readable(rd_worker *w, rd_relay *r, int64_t now) {
  rd_hs *hs = r->hs;
  rd_layer *l = r->layer[0];
  if (l && !hs->layer_up) {
    /* TLS first (the only layer a front starts with). */
    int rc = l->ops->handshake(l, r->fd[0]);
    if (rc == 0) return;
    if (rc < 0) return client_layer_failed(w, r);
    hs->layer_up = 1;
  }
  if (r->front->ws_path && !hs->ws_up && (ws_upgrade(w, r, now) || !hs->ws_up)) return;
  l = r->layer[0];
  for (;;) {
    if (hs->len == sizeof hs->buf) return rd_front_handoff(w, r, now);
    ssize_t n = rd_side_read(r, 0, hs->buf + hs->len, sizeof hs->buf - hs->len);
    if (n > 0) {
      hs->len += (size_t)n;
      if (rd_front_parse(w, r, now)) return;
    } else if (n == 0) {
      /* VLESS: the JS inbound tells a truncated header from an unknown user (it reads the EOF). */
      if (r->front->proto == RD_PROTO_VLESS && hs->len > 0) return rd_front_handoff(w, r, now);
      return rd_front_bad(w, r, rd_front_stage_kind(r), "client closed during the handshake");
    } else if (errno == EAGAIN) {
      return;
    } else if (errno == EPROTO && l) {
      return client_layer_failed(w, r);
    } else if (errno != EINTR) {
      return rd_front_bad(w, r, rd_front_stage_kind(r), "client closed during the handshake");
    }
  }
}

void rd_front_accept(rd_worker *w, rd_front *f, int64_t now) {
  for (int i = 0; i < ACCEPTS_PER_TURN && !f->closed; i++) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(f->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && f->spare_fd >= 0) {
        /* Out of descriptors: take the client with the spare and close it, rather than spin. */
        close(f->spare_fd);
        int c = accept(f->fd, NULL, NULL);
        if (c >= 0) close(c);
        f->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      }
      return;
    }
    rd_relay *r = rd_relay_new(0);
    rd_hs *hs = r ? calloc(1, sizeof *hs) : NULL;
    if (!hs) {
      free(r);
      close(fd);
      continue;
    }
    set_nodelay(fd);
    r->fd[0] = fd;
    r->hs = hs;
    hs->peer = peer;
    r->phase = RD_PHASE_HANDSHAKE;
    r->front = f;
    rd_front_ref(f);
    r->deadline_ms = now + f->handshake_ms;
    rd_w_insert(w, r);
    rd_w_deadline(w, r->deadline_ms);
    /* TLS: the handshake may have to wait for room to write as well. */
    uint32_t events = f->tls ? EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET : EPOLLIN | EPOLLRDHUP | EPOLLET;
    if ((f->tls && !(r->layer[0] = rd_tls_layer(f->tls, fd))) || watch(w, EPOLL_CTL_ADD, fd, &r->ep[0], events) < 0) {
      rd_w_drop(w, r);
      continue;
    }
    on_readable(w, r, now);
  }
}

static void reply_and_relay(rd_worker *w, rd_relay *r, const uint8_t *reply, size_t len, int64_t now);

/* A failed dial (op RD_OP_CONNECT, or RD_OP_HANDSHAKE for TLS to the remote): SOCKS5 answers with
   its reply code; VLESS closes with no response, as v2ray does. */
static void dial_failed(rd_worker *w, rd_relay *r, int err, int op) {
  if (r->front->proto == RD_PROTO_SOCKS5) {
    uint8_t reply[10];
    rd_socks_fail_reply(reply, rd_socks_rep_for_errno(err));
    ssize_t n = write(r->fd[0], reply, sizeof reply);
    (void)n; /* a fresh socket takes ten bytes; if the client is gone the END says why anyway */
  }
  r->end_errno = err;
  r->end_side = 1;
  r->end_op = op;
  rd_w_end_relay(w, r, RD_END_ERROR);
}

static void connect_failed(rd_worker *w, rd_relay *r, int err) { dial_failed(w, r, err, RD_OP_CONNECT); }

/* Writes `len` bytes to a fresh connection in full (through its layer), or returns -1 (errno set). */
static int write_fresh(rd_relay *r, int side, const uint8_t *b, size_t len) {
  while (len > 0) {
    ssize_t n = rd_side_write(r, side, b, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0 || errno == EAGAIN) errno = ENOBUFS; /* a few hundred bytes never fill a new socket */
      return -1;
    }
    b += n;
    len -= (size_t)n;
  }
  return 0;
}

static void connected(rd_worker *w, rd_relay *r, int64_t now) {
  rd_hs *hs = r->hs;
  /* Layered relays copy through buffers: no pipes. */
  if (!r->layer[0] && !r->layer[1] && rd_relay_open_pipes(r) < 0) return connect_failed(w, r, errno);
  /* What the destination gets first: the VLESS client's payload after its header, or the VLESS
     request header JS built for the server. */
  const uint8_t *first = hs->prefix ? hs->prefix : hs->buf + hs->head;
  size_t first_len = hs->prefix ? hs->prefix_len : hs->len - hs->head;
  if (r->front->proto != RD_PROTO_VLESS && !hs->prefix) first_len = 0;
  if (first_len > 0 && write_fresh(r, 1, first, first_len) < 0) return connect_failed(w, r, errno);
  /* The client's own payload counts as moved up; a request header JS built does not. */
  if (!hs->prefix) atomic_fetch_add_explicit(&r->dir[0].moved, first_len, memory_order_relaxed);
  r->strip = hs->strip_vless ? 1 : 0;
  if (r->front->proto == RD_PROTO_VLESS) {
    static const uint8_t response[2] = { 0, 0 };
    return reply_and_relay(w, r, response, sizeof response, now);
  }
  struct sockaddr_storage local;
  socklen_t llen = sizeof local;
  uint8_t reply[22] = { 5, 0, 0, 1 };
  size_t len = 10;
  if (getsockname(r->fd[1], (struct sockaddr *)&local, &llen) == 0 && local.ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&local;
    reply[3] = 4;
    memcpy(reply + 4, &a->sin6_addr, 16);
    memcpy(reply + 20, &a->sin6_port, 2);
    len = 22;
  } else if (local.ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)&local;
    memcpy(reply + 4, &a->sin_addr, 4);
    memcpy(reply + 8, &a->sin_port, 2);
  }
  reply_and_relay(w, r, reply, len, now);
}

/* Answers the client, tells JS the relay runs, and starts it. */
static void reply_and_relay(rd_worker *w, rd_relay *r, const uint8_t *reply, size_t len, int64_t now) {
  if (write_fresh(r, 0, reply, len) < 0) {
    r->end_errno = errno ? errno : EPIPE;
    r->end_side = 0;
    r->end_op = RD_OP_WRITE;
    return rd_w_end_relay(w, r, RD_END_ERROR);
  }
  rd_msg *m = rd_msg_new(RD_MSG_CONNECTED, r, NULL);
  if (m) {
    rd_relay_ref(r);
    rd_w_post(w, m);
  }
  rd_w_start_relay(w, r, now);
}

static void check_connect(rd_worker *w, rd_relay *r, int64_t now) {
  rd_hs *hs = r->hs;
  if (!r->layer[1]) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(r->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err != 0) return connect_failed(w, r, err);
  }
  if ((hs->tls_client || hs->ws_path) && !hs->layer_up) {
    /* TLS or a WebSocket upgrade to the remote first (a VLESS server on either); the connect
       deadline covers it too. */
    if (!r->layer[1]) {
      rd_layer *tls = hs->tls_client ? rd_tls_layer(hs->tls_client, r->fd[1]) : NULL;
      r->layer[1] = hs->ws_path ? rd_ws_client_layer(hs->ws_path, hs->ws_host, tls) : tls; /* wss: WebSocket over TLS */
      if (!r->layer[1] || (hs->tls_client && !tls)) {
        if (tls && !r->layer[1]) tls->ops->free(tls);
        return connect_failed(w, r, ENOMEM);
      }
    }
    int rc = r->layer[1]->ops->handshake(r->layer[1], r->fd[1]);
    if (rc == 0) return;
    if (rc < 0) return dial_failed(w, r, errno, RD_OP_HANDSHAKE);
    hs->layer_up = 1;
  }
  connected(w, r, now);
}

void rd_front_connect(rd_worker *w, rd_relay *r, int64_t now) {
  if (r->done || r->phase != RD_PHASE_WAIT) return;
  rd_hs *hs = r->hs;
  int fd = socket(hs->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return connect_failed(w, r, errno);
  set_nodelay(fd);
  r->fd[1] = fd;
  r->phase = RD_PHASE_CONNECTING;
  r->deadline_ms = now + hs->connect_ms;
  rd_w_deadline(w, r->deadline_ms);
  int rc = connect(fd, (struct sockaddr *)&hs->dst, hs->dstlen);
  if (rc < 0 && errno != EINPROGRESS) return connect_failed(w, r, errno);
  if (watch(w, EPOLL_CTL_ADD, fd, &r->ep[1], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) return connect_failed(w, r, errno);
  if (rc == 0) connected(w, r, now);
}

void rd_front_reject(rd_worker *w, rd_relay *r, int rep) {
  if (r->done || r->phase != RD_PHASE_WAIT) return;
  if (r->front->proto == RD_PROTO_SOCKS5) {
    uint8_t reply[10];
    rd_socks_fail_reply(reply, rep);
    ssize_t n = write(r->fd[0], reply, sizeof reply);
    (void)n;
  }
  rd_w_end_relay(w, r, RD_END_CLOSED);
}

/* Behind a layer: a socketpair whose other end becomes the relay's remote; returns JS's end, or -1. */
static int bridge(rd_worker *w, rd_relay *r, int64_t now) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0) return -1;
  r->fd[1] = sp[1];
  if (watch(w, EPOLL_CTL_ADD, sp[1], &r->ep[1], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
    close(sp[0]);
    return -1;
  }
  r->idle_ms = 0; /* JS keeps the idle timeout of what it serves */
  rd_w_start_relay(w, r, now);
  return sp[0];
}

int rd_front_give_client(rd_worker *w, rd_relay *r, rd_msg *m, int64_t now) {
  if (r->layer[0]) {
    /* TLS or the WebSocket stays here: JS gets the plain stream through a socketpair. */
    m->fd = bridge(w, r, now);
    if (m->fd < 0) {
      free(m);
      return -1;
    }
    rd_w_post(w, m);
    return 0;
  }
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, r->fd[0], NULL);
  m->fd = r->fd[0];
  r->fd[0] = -1;
  rd_w_post(w, m);
  rd_w_drop(w, r);
  return 0;
}

void rd_front_release(rd_worker *w, rd_relay *r, int64_t now) {
  if (r->done || r->phase != RD_PHASE_WAIT) return;
  rd_msg *m = rd_msg_new(RD_MSG_RELEASED, r, NULL);
  if (!m) return rd_w_end_relay(w, r, RD_END_CLOSED);
  rd_relay_ref(r);
  if (rd_front_give_client(w, r, m, now) < 0) {
    rd_relay_unref(r); /* the message's reference */
    if (!r->done) rd_w_end_relay(w, r, RD_END_CLOSED);
  }
}

void rd_front_conn_event(rd_worker *w, rd_relay *r, int side, uint32_t ev, int64_t now) {
  if (r->phase == RD_PHASE_HANDSHAKE) {
    if (side == 0) on_readable(w, r, now);
  } else if (r->phase == RD_PHASE_CONNECTING) {
    /* Connected (writable), or a TLS handshake with the remote under way (any event). */
    if (side == 1 && (r->layer[1] || (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))) check_connect(w, r, now);
  }
  /* WAIT: bytes and a FIN the client sends now wait in the kernel for the relay. */
}

void rd_front_close(rd_worker *w, rd_front *f) {
  stop_listening(w, f);
  rd_msg *m = rd_msg_new(RD_MSG_FRONT_CLOSED, NULL, f);
  if (m) rd_w_post(w, m);
  else rd_front_unref(f);
}

void rd_front_sweep(rd_worker *w, int64_t now) {
  int64_t next = INT64_MAX;
  rd_relay *nx;
  for (rd_relay *r = w->hs_list; r; r = nx) {
    nx = r->hs_next;
    if (r->deadline_ms == 0) continue;
    if (r->deadline_ms > now) {
      if (r->deadline_ms < next) next = r->deadline_ms;
    } else if (r->phase == RD_PHASE_HANDSHAKE) {
      rd_front_bad(w, r, "timeout", "handshake timeout");
    } else if (r->phase == RD_PHASE_CONNECTING) {
      connect_failed(w, r, ETIMEDOUT);
    }
  }
  w->next_deadline = next;
}
