/*
 * The worker thread: one edge-triggered epoll instance serving every relay, a command queue
 * woken through an eventfd, a ready list for relays that used up their turn, and an idle sweep
 * scheduled at the earliest possible deadline (activity only ever moves deadlines later).
 */
#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static int vec_push(rd_vec *v, rd_relay *r) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 64;
    rd_relay **items = realloc(v->items, cap * sizeof *items);
    if (!items) return -1;
    v->items = items;
    v->cap = cap;
  }
  v->items[v->len++] = r;
  return 0;
}

static void list_insert(rd_worker *w, rd_relay *r) {
  r->prev = NULL;
  r->next = w->list;
  if (w->list) w->list->prev = r;
  w->list = r;
}

static void list_remove(rd_worker *w, rd_relay *r) {
  if (r->prev) r->prev->next = r->next;
  else w->list = r->next;
  if (r->next) r->next->prev = r->prev;
  r->prev = r->next = NULL;
}

void rd_w_post(rd_worker *w, rd_msg *m) { w->post(w->ctx, m); }


void rd_w_deadline(rd_worker *w, int64_t at) {
  if (at < w->next_deadline) w->next_deadline = at;
}

static void hs_insert(rd_worker *w, rd_relay *r) {
  r->hs_prev = NULL;
  r->hs_next = w->hs_list;
  if (w->hs_list) w->hs_list->hs_prev = r;
  w->hs_list = r;
}

void rd_w_hs_remove(rd_worker *w, rd_relay *r) {
  if (r->phase == RD_PHASE_RELAY) return;
  if (r->hs_prev) r->hs_prev->hs_next = r->hs_next;
  else if (w->hs_list == r) w->hs_list = r->hs_next;
  if (r->hs_next) r->hs_next->hs_prev = r->hs_prev;
  r->hs_prev = r->hs_next = NULL;
}

void rd_w_insert(rd_worker *w, rd_relay *r) {
  list_insert(w, r);
  if (r->phase != RD_PHASE_RELAY) hs_insert(w, r);
}

/* Stops watching and closes the relay's descriptors and takes it off the lists (unref deferred). */
static void retire(rd_worker *w, rd_relay *r) {
  r->done = 1;
  /* Explicit DEL: the caller's descriptors keep the sockets open, so closing our dups would not
     remove them from the epoll set (nor would closing a front's own socket while a forked child
     briefly holds a copy of it). */
  if (r->fd[0] >= 0) epoll_ctl(w->epfd, EPOLL_CTL_DEL, r->fd[0], NULL);
  if (r->fd[1] >= 0) epoll_ctl(w->epfd, EPOLL_CTL_DEL, r->fd[1], NULL);
  rd_relay_close_fds(r);
  rd_relay_free_layers(r);
  rd_w_hs_remove(w, r);
  r->phase = RD_PHASE_RELAY;
  list_remove(w, r);
  if (vec_push(&w->ended, r) < 0) abort();
}

static void end_relay(rd_worker *w, rd_relay *r, int kind) {
  r->end_kind = kind;
  retire(w, r);
  rd_msg *m = rd_msg_new(RD_MSG_END, r, NULL);
  if (m) {
    rd_relay_ref(r);
    w->post(w->ctx, m);
  }
}

void rd_w_end_relay(rd_worker *w, rd_relay *r, int kind) { end_relay(w, r, kind); }

void rd_w_drop(rd_worker *w, rd_relay *r) { retire(w, r); }

static void pump_relay(rd_worker *w, rd_relay *r, int64_t now) {
  int again = 0;
  for (int d = 0; d < 2; d++) {
    int rc = rd_relay_pump(r, d, now);
    if (rc < 0) {
      end_relay(w, r, RD_END_ERROR);
      return;
    }
    again |= rc;
  }
  if (r->idle_changed) {
    r->idle_changed = 0;
    if (r->last_active_ms + r->idle_ms < w->next_sweep) w->next_sweep = r->last_active_ms + r->idle_ms;
  }
  if (rd_relay_finished(r)) {
    end_relay(w, r, RD_END_DONE);
  } else if (again && !r->in_ready) {
    r->in_ready = 1;
    rd_relay_ref(r);
    r->ready_next = w->ready;
    w->ready = r;
  }
}

static void on_socket_event(rd_worker *w, rd_endpoint *ep, uint32_t ev, int64_t now) {
  if (ep->side == RD_SIDE_LISTENER) {
    rd_front *f = (rd_front *)ep;
    if (!f->closed) rd_front_accept(w, f, now);
    return;
  }
  rd_relay *r = ep->relay;
  int s = ep->side;
  if (r->done) return;
  if (r->phase != RD_PHASE_RELAY) {
    rd_front_conn_event(w, r, s, ev, now);
    return;
  }
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) r->dir[s].may_read = 1;
  if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) r->dir[1 - s].may_write = 1;
  /* A layer's read can wait for room to write (TLS answering a KeyUpdate): writable means retry. */
  if ((ev & EPOLLOUT) && r->layer[s]) r->dir[s].may_read = 1;
  pump_relay(w, r, now);
  if (!r->done && (ev & EPOLLERR)) {
    /* A reset after a FIN reads as EOF: the pending socket error is the real outcome. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(r->fd[s], SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
      r->end_errno = err;
      r->end_side = s;
      r->end_op = RD_OP_SOCKET;
      end_relay(w, r, RD_END_ERROR);
    }
  }
}

void rd_w_start_relay(rd_worker *w, rd_relay *r, int64_t now) {
  rd_w_hs_remove(w, r);
  r->phase = RD_PHASE_RELAY;
  rd_relay_free_hs(r);
  r->last_active_ms = now;
  if (r->idle_ms && now + r->idle_ms < w->next_sweep) w->next_sweep = now + r->idle_ms;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = &r->ep[0] };
  if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, r->fd[0], &ev) < 0) {
    r->end_errno = errno;
    r->end_side = 0;
    r->end_op = RD_OP_SOCKET;
    end_relay(w, r, RD_END_ERROR);
    return;
  }
  pump_relay(w, r, now);
}

static void add_relay(rd_worker *w, rd_relay *r, int64_t now) {
  list_insert(w, r);
  r->last_active_ms = now;
  if (r->idle_ms && now + r->idle_ms < w->next_sweep) w->next_sweep = now + r->idle_ms;
  for (int s = 0; s < 2; s++) {
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = &r->ep[s] };
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, r->fd[s], &ev) < 0) {
      r->end_errno = errno;
      r->end_side = s;
      r->end_op = RD_OP_SOCKET;
      end_relay(w, r, RD_END_ERROR);
      return;
    }
  }
  pump_relay(w, r, now);
}

/* Runs the queued commands; returns whether the worker must stop. */
static int drain_commands(rd_worker *w, int64_t now) {
  uint64_t count;
  while (read(w->evfd, &count, sizeof count) < 0 && errno == EINTR) {}
  pthread_mutex_lock(&w->mu);
  rd_cmd *queue = w->queue;
  size_t qlen = w->qlen;
  int stop = w->stop;
  w->queue = NULL;
  w->qlen = w->qcap = 0;
  pthread_mutex_unlock(&w->mu);
  for (size_t i = 0; i < qlen; i++) {
    rd_relay *r = queue[i].r;
    switch (queue[i].op) {
      case CMD_ADD: add_relay(w, r, now); continue; /* the queued reference becomes the list's */
      case CMD_CLOSE: if (!r->done) end_relay(w, r, RD_END_CLOSED); break;
      case CMD_FRONT_ADD: rd_front_added(w, queue[i].f, now); continue; /* reference kept until closed */
      case CMD_FRONT_CLOSE: rd_front_close(w, queue[i].f); continue; /* reference goes with the message */
      case CMD_CONNECT: rd_front_connect(w, r, now); break;
      case CMD_REJECT: rd_front_reject(w, r, queue[i].arg); break;
      case CMD_RELEASE: rd_front_release(w, r, now); break;
    }
    rd_relay_unref(r);
  }
  free(queue);
  return stop;
}

static void run_ready(rd_worker *w, rd_relay *ready, int64_t now) {
  while (ready) {
    rd_relay *r = ready;
    ready = r->ready_next;
    r->in_ready = 0;
    if (!r->done) pump_relay(w, r, now);
    rd_relay_unref(r);
  }
}

static void sweep_idle(rd_worker *w, int64_t now) {
  int64_t next = INT64_MAX;
  rd_relay *nx;
  for (rd_relay *r = w->list; r; r = nx) {
    nx = r->next;
    if (!r->idle_ms) continue;
    int64_t due = r->last_active_ms + r->idle_ms;
    if (due <= now) {
      r->end_errno = ETIMEDOUT;
      end_relay(w, r, RD_END_IDLE);
    } else if (due < next) {
      next = due;
    }
  }
  w->next_sweep = next;
}

static int wait_timeout(const rd_worker *w) {
  if (w->ready) return 0;
  int64_t due = w->next_sweep < w->next_deadline ? w->next_sweep : w->next_deadline;
  if (due == INT64_MAX) return -1;
  int64_t t = due - rd_now_ms();
  if (t < 0) return 0;
  /* +1: the coarse clock may lag epoll's own timer by a tick. */
  return t >= INT_MAX ? INT_MAX : (int)t + 1;
}

static void *worker_main(void *arg) {
  rd_worker *w = arg;
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(w->epfd, evs, 256, wait_timeout(w));
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int64_t now = rd_now_ms();
    rd_relay *ready = w->ready; /* the previous turn's leftovers run after fresh events */
    w->ready = NULL;
    int stop = 0;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == NULL) stop |= drain_commands(w, now);
      else on_socket_event(w, evs[i].data.ptr, evs[i].events, now);
    }
    run_ready(w, ready, now);
    if (now >= w->next_sweep) sweep_idle(w, now);
    if (now >= w->next_deadline) rd_front_sweep(w, now);
    for (size_t i = 0; i < w->ended.len; i++) rd_relay_unref(w->ended.items[i]);
    w->ended.len = 0;
    if (stop) break;
  }
  return NULL;
}

rd_worker *rd_worker_start(rd_post_msg_fn post, void *ctx) {
  rd_worker *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->post = post;
  w->ctx = ctx;
  w->next_sweep = INT64_MAX;
  w->next_deadline = INT64_MAX;
  w->epfd = epoll_create1(EPOLL_CLOEXEC);
  w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  if (w->epfd < 0 || w->evfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) < 0) goto fail;
  pthread_mutex_init(&w->mu, NULL);
  /* Signals stay with the JS thread (SIGPIPE from splice included: Node ignores it anyway). */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&w->thread, NULL, worker_main, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc == 0) {
    pthread_setname_np(w->thread, "relaydesk-relay"); /* for top -H, perf and gdb */
    return w;
  }
  pthread_mutex_destroy(&w->mu);
  errno = rc;
fail: {
    int saved = errno;
    if (w->epfd >= 0) close(w->epfd);
    if (w->evfd >= 0) close(w->evfd);
    free(w);
    errno = saved;
    return NULL;
  }
}

static int submit(rd_worker *w, int op, rd_relay *r, rd_front *f, int arg) {
  pthread_mutex_lock(&w->mu);
  if (w->qlen == w->qcap) {
    size_t cap = w->qcap ? w->qcap * 2 : 16;
    rd_cmd *q = realloc(w->queue, cap * sizeof *q);
    if (!q) {
      pthread_mutex_unlock(&w->mu);
      return -1;
    }
    w->queue = q;
    w->qcap = cap;
  }
  if (r) rd_relay_ref(r);
  if (f) rd_front_ref(f);
  w->queue[w->qlen++] = (rd_cmd){ op, r, f, arg };
  pthread_mutex_unlock(&w->mu);
  uint64_t one = 1;
  while (write(w->evfd, &one, sizeof one) < 0 && errno == EINTR) {}
  return 0;
}

int rd_worker_add(rd_worker *w, rd_relay *r) { return submit(w, CMD_ADD, r, NULL, 0); }
int rd_worker_close(rd_worker *w, rd_relay *r) { return submit(w, CMD_CLOSE, r, NULL, 0); }
int rd_worker_front(rd_worker *w, int op, rd_relay *r, rd_front *f, int arg) { return submit(w, op, r, f, arg); }

void rd_worker_stop(rd_worker *w) {
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_mutex_unlock(&w->mu);
  uint64_t one = 1;
  while (write(w->evfd, &one, sizeof one) < 0 && errno == EINTR) {}
  pthread_join(w->thread, NULL);
  for (rd_relay *r = w->ready; r; ) {
    rd_relay *nx = r->ready_next;
    rd_relay_unref(r);
    r = nx;
  }
  while (w->list) {
    rd_relay *r = w->list;
    list_remove(w, r);
    rd_relay_close_fds(r);
    rd_relay_unref(r);
  }
  for (size_t i = 0; i < w->qlen; i++) {
    rd_cmd *c = &w->queue[i];
    if (c->r) {
      if (c->op == CMD_ADD) rd_relay_close_fds(c->r);
      rd_relay_unref(c->r);
    }
    if (c->f) rd_front_unref(c->f);
  }
  /* Listeners still open (the environment goes away without closing them): free their ports. */
  for (rd_front *f = w->fronts; f; f = f->next) {
    close(f->fd);
    if (f->spare_fd >= 0) close(f->spare_fd);
  }
  free(w->queue);
  free(w->ended.items);
  close(w->epfd);
  close(w->evfd);
  pthread_mutex_destroy(&w->mu);
  free(w);
}
