/*
 * N-API glue: start(clientFd, remoteFd, idleMs, onEnd) -> handle, sample(handle) -> [up, down],
 * close(handle). onEnd(err?) runs once on the JS thread through a threadsafe function, which is
 * referenced only while relays are live so an idle addon never keeps the process alive.
 */
#define _GNU_SOURCE
#include "addon.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const char *rd_errno_code(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
  const char *name = strerrorname_np(err);
  if (name) return name;
#endif
  switch (err) {
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTCONN: return "ENOTCONN";
    case EMFILE: return "EMFILE";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

napi_value rd_errno_error(napi_env env, const char *code, const char *message) {
  napi_value c, m, err;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, c, m, &err);
  return err;
}

napi_value rd_end_error(napi_env env, const rd_relay *r) {
  napi_value undef;
  napi_get_undefined(env, &undef);
  if (r->end_kind == RD_END_IDLE) return rd_errno_error(env, "ETIMEDOUT", "idle timeout");
  if (r->end_kind != RD_END_ERROR) return undef;
  static const char *ops[] = { "read", "write", "socket", "connect", "TLS handshake" };
  const char *code = rd_errno_code(r->end_errno);
  char message[256];
  const char *why = r->end_op == RD_OP_HANDSHAKE || r->end_errno == EPROTO ? r->end_why : NULL;
  int n = snprintf(message, sizeof message, "%s %s %s", r->end_side ? "remote" : "client", ops[r->end_op], code);
  /* What TLS or the WebSocket said ("self-signed certificate"), when it was that which failed. */
  if (why) snprintf(message + n, sizeof message - (size_t)n, " (%s)", why);
  napi_value err = rd_errno_error(env, code, message);
  napi_value syscall;
  const char *sc = r->end_op == RD_OP_CONNECT ? "connect" : r->end_op == RD_OP_HANDSHAKE ? "handshake" : "splice";
  napi_create_string_utf8(env, sc, NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, err, "syscall", syscall);
  if (why) {
    napi_value reason;
    napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &reason);
    napi_set_named_property(env, err, "reason", reason);
  }
  return err;
}

void rd_env_hold(napi_env env, rd_env *e) {
  if (e->active++ == 0) napi_ref_threadsafe_function(env, e->tsfn);
}

void rd_env_release(napi_env env, rd_env *e) {
  if (--e->active == 0) napi_unref_threadsafe_function(env, e->tsfn);
}

void rd_call_ref(napi_env env, void **slot, int last, size_t argc, napi_value *argv) {
  napi_ref ref = *slot;
  if (ref == NULL) return;
  if (last && argc == 0) { /* drop only */
    *slot = NULL;
    napi_delete_reference(env, ref);
    return;
  }
  napi_value fn, recv;
  napi_get_reference_value(env, ref, &fn);
  if (last) {
    *slot = NULL;
    napi_delete_reference(env, ref);
  }
  napi_get_undefined(env, &recv);
  /* A throwing callback surfaces as an uncaught exception, like any event handler. */
  napi_call_function(env, recv, fn, argc, argv, NULL);
}

/* JS thread: deliver one message (env is NULL when the function is torn down). */
static void call_js(napi_env env, napi_value unused, void *context, void *data) {
  (void)unused;
  rd_env *e = context;
  rd_msg *m = data;
  if (env != NULL && m->type == RD_MSG_END && m->r->front == NULL) {
    rd_relay *r = m->r;
    if (r->js_on_end != NULL) {
      rd_env_release(env, e);
      napi_value arg = rd_end_error(env, r);
      rd_call_ref(env, &r->js_on_end, 1, 1, &arg);
    }
  } else if (env != NULL) {
    rd_front_call_js(env, e, m);
  }
  if (m->fd >= 0) close(m->fd); /* a descriptor nobody took (a closed front, a dropped release) */
  if (m->r) rd_relay_unref(m->r);
  if (m->f) rd_front_unref(m->f);
  free(m);
}

/* Worker thread: hand a message (and its references) to the JS thread. */
static void post_msg(void *ctx, rd_msg *m) {
  rd_env *e = ctx;
  if (napi_call_threadsafe_function(e->tsfn, m, napi_tsfn_nonblocking) == napi_ok) return;
  if (m->fd >= 0) close(m->fd);
  if (m->r) rd_relay_unref(m->r);
  if (m->f) rd_front_unref(m->f);
  free(m);
}

int rd_env_worker(napi_env env, rd_env *e) {
  if (e->worker != NULL || (e->worker = rd_worker_start(post_msg, e)) != NULL) return 1;
  napi_throw(env, rd_errno_error(env, rd_errno_code(errno), "cannot start the native relay thread"));
  return 0;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rd_relay_unref(data);
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  rd_env *e;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&e));
  int32_t client_fd, remote_fd;
  double idle_ms;
  napi_valuetype fn_type = napi_undefined;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &client_fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &remote_fd) != napi_ok ||
      napi_get_value_double(env, argv[2], &idle_ms) != napi_ok ||
      napi_typeof(env, argv[3], &fn_type) != napi_ok || fn_type != napi_function) {
    napi_throw_type_error(env, NULL, "start(clientFd, remoteFd, idleMs, onEnd)");
    return NULL;
  }
  if (!rd_env_worker(env, e)) return NULL;
  /* NaN, negative, infinite or absurd values disable the timeout, like socket.setTimeout(0). */
  int64_t idle = idle_ms > 0 && idle_ms < 1e12 ? (int64_t)idle_ms : 0;
  rd_relay *r = rd_relay_create(client_fd, remote_fd, idle);
  if (r == NULL) {
    napi_throw(env, rd_errno_error(env, rd_errno_code(errno), "cannot set up the splice relay"));
    return NULL;
  }
  napi_value handle;
  if (napi_create_external(env, r, finalize_handle, NULL, &handle) != napi_ok) {
    rd_relay_unref(r);
    napi_throw_error(env, "E_NATIVE", "napi_create_external failed");
    return NULL;
  }
  napi_ref on_end;
  CHECK(env, napi_create_reference(env, argv[3], 1, &on_end));
  r->js_on_end = on_end;
  if (rd_worker_add(e->worker, r) < 0) {
    r->js_on_end = NULL;
    napi_delete_reference(env, on_end);
    napi_throw(env, rd_errno_error(env, "ENOMEM", "cannot queue the splice relay"));
    return NULL;
  }
  rd_env_hold(env, e);
  return handle;
}

static rd_relay *handle_arg(napi_env env, napi_callback_info info, rd_env **e) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)e) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a splice relay handle");
    return NULL;
  }
  return data;
}

static napi_value sample(napi_env env, napi_callback_info info) {
  rd_env *e;
  rd_relay *r = handle_arg(env, info, &e);
  if (r == NULL) return NULL;
  napi_value out, up, down;
  CHECK(env, napi_create_array_with_length(env, 2, &out));
  CHECK(env, napi_create_double(env, (double)atomic_load_explicit(&r->dir[0].moved, memory_order_relaxed), &up));
  CHECK(env, napi_create_double(env, (double)atomic_load_explicit(&r->dir[1].moved, memory_order_relaxed), &down));
  CHECK(env, napi_set_element(env, out, 0, up));
  CHECK(env, napi_set_element(env, out, 1, down));
  return out;
}

static napi_value close_relay(napi_env env, napi_callback_info info) {
  rd_env *e;
  rd_relay *r = handle_arg(env, info, &e);
  if (r == NULL) return NULL;
  /* Already delivered: nothing left to end. */
  if ((r->js_on_end != NULL || (r->front != NULL && !r->js_ended)) && rd_worker_close(e->worker, r) < 0) {
    napi_throw_error(env, "ENOMEM", "cannot queue the close request");
  }
  return NULL;
}

/* Environment teardown: join the thread before the threadsafe function's own hook closes it. */
static void cleanup_env(void *arg) {
  rd_env *e = arg;
  if (e->worker) rd_worker_stop(e->worker);
  e->worker = NULL;
}

static void finalize_tsfn(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/*
 * Every native relay holds two sockets and two pipes: raise the soft descriptor limit to the hard
 * one, as Go's runtime does, so a 1024 soft limit does not cap the proxy at ~170 connections.
 */
static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/*
 * Node reads every stream into a fresh 64 KiB buffer and frees it soon after; with glibc's
 * defaults the freed top of the heap is trimmed back to the kernel and the next reads fault fresh
 * zeroed pages in again (a quarter of a VLESS/WebSocket relay's CPU went to page faults). Keep up
 * to 32 MiB of free heap and serve blocks under 4 MiB from it: WS relays cost 28% less CPU per GB.
 */
static void tune_malloc(void) {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
#endif
}

NAPI_MODULE_INIT() {
  raise_fd_limit();
  tune_malloc();
  rd_env *e = calloc(1, sizeof *e);
  if (e == NULL) {
    napi_throw_error(env, "ENOMEM", "relaydesk_splice: out of memory");
    return NULL;
  }
  napi_value name;
  CHECK(env, napi_create_string_utf8(env, "relaydesk.splice", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, e, finalize_tsfn, e, call_js, &e->tsfn) != napi_ok) {
    free(e);
    napi_throw_error(env, "E_NATIVE", "napi_create_threadsafe_function failed");
    return NULL;
  }
  CHECK(env, napi_unref_threadsafe_function(env, e->tsfn));
  CHECK(env, napi_add_env_cleanup_hook(env, cleanup_env, e));
  napi_property_descriptor props[] = {
    { "start", NULL, start, NULL, NULL, NULL, napi_enumerable, e },
    { "sample", NULL, sample, NULL, NULL, NULL, napi_enumerable, e },
    { "close", NULL, close_relay, NULL, NULL, NULL, napi_enumerable, e },
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(env, rd_front_define(env, exports, e));
  CHECK(env, rd_tls_define(env, exports));
  return exports;
}
