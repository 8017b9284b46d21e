/*
 * N-API glue: start(clientFd, remoteFd, idleMs, onEnd) -> handle, sample(handle) -> [up, down],
 * close(handle). onEnd(err?) runs once on the JS thread through a threadsafe function, which is
 * referenced only while relays are live so an idle addon never keeps the process alive.
 */
#define _GNU_SOURCE
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

typedef struct {
  napi_threadsafe_function tsfn;
  rd_worker *worker;  /* started with the first relay */
  uint32_t active;    /* relays whose onEnd is still due; JS thread only */
} rd_env;

#define CHECK(env, call)                                  \
  do {                                                    \
    if ((call) != napi_ok) {                              \
      napi_throw_error((env), "E_NATIVE", #call " failed"); \
      return NULL;                                        \
    }                                                     \
  } while (0)

static const char *errno_code(int err) {
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

static napi_value errno_error(napi_env env, const char *code, const char *message) {
  napi_value c, m, err;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, c, m, &err);
  return err;
}

static napi_value end_error(napi_env env, const rd_relay *r) {
  napi_value undef;
  napi_get_undefined(env, &undef);
  if (r->end_kind == RD_END_IDLE) return errno_error(env, "ETIMEDOUT", "idle timeout");
  if (r->end_kind != RD_END_ERROR) return undef;
  static const char *ops[] = { "read", "write", "socket" };
  const char *code = errno_code(r->end_errno);
  char message[96];
  snprintf(message, sizeof message, "%s %s %s", r->end_side ? "remote" : "client", ops[r->end_op], code);
  napi_value err = errno_error(env, code, message);
  napi_value syscall;
  napi_create_string_utf8(env, "splice", NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, err, "syscall", syscall);
  return err;
}

/* JS thread: deliver one ended relay (env is NULL when the function is torn down). */
static void call_js(napi_env env, napi_value unused, void *context, void *data) {
  (void)unused;
  rd_env *e = context;
  rd_relay *r = data;
  napi_ref ref = r->js_on_end;
  if (env != NULL && ref != NULL) {
    r->js_on_end = NULL;
    if (--e->active == 0) napi_unref_threadsafe_function(env, e->tsfn);
    napi_value fn, recv, arg = end_error(env, r);
    napi_get_reference_value(env, ref, &fn);
    napi_delete_reference(env, ref);
    napi_get_undefined(env, &recv);
    /* A throwing onEnd surfaces as an uncaught exception, like any event handler. */
    napi_call_function(env, recv, fn, 1, &arg, NULL);
  }
  rd_relay_unref(r);
}

/* Worker thread: hand the ended relay (and one reference) to the JS thread. */
static void post_end(void *ctx, rd_relay *r) {
  rd_env *e = ctx;
  if (napi_call_threadsafe_function(e->tsfn, r, napi_tsfn_nonblocking) != napi_ok) rd_relay_unref(r);
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
  if (e->worker == NULL && (e->worker = rd_worker_start(post_end, e)) == NULL) {
    napi_throw(env, errno_error(env, errno_code(errno), "cannot start the splice thread"));
    return NULL;
  }
  /* NaN, negative, infinite or absurd values disable the timeout, like socket.setTimeout(0). */
  int64_t idle = idle_ms > 0 && idle_ms < 1e12 ? (int64_t)idle_ms : 0;
  rd_relay *r = rd_relay_create(client_fd, remote_fd, idle);
  if (r == NULL) {
    napi_throw(env, errno_error(env, errno_code(errno), "cannot set up the splice relay"));
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
    napi_throw(env, errno_error(env, "ENOMEM", "cannot queue the splice relay"));
    return NULL;
  }
  if (e->active++ == 0) napi_ref_threadsafe_function(env, e->tsfn);
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
  if (r->js_on_end != NULL && rd_worker_close(e->worker, r) < 0) {
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

NAPI_MODULE_INIT() {
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
  return exports;
}
