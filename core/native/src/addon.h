/* What the addon's glue files (addon.c relays, addon-front.c and addon-events.c fronts, addon-tls.c TLS) share on the JS thread. */
#ifndef RELAYDESK_ADDON_H
#define RELAYDESK_ADDON_H

#include "worker.h"

#include <node_api.h>

typedef struct {
  napi_threadsafe_function tsfn;
  rd_worker *worker;  /* started with the first relay or front */
  uint32_t active;    /* callbacks still due (relays' onEnd, open fronts); JS thread only */
} rd_env;

#define CHECK(env, call)                                  \
  do {                                                    \
    if ((call) != napi_ok) {                              \
      napi_throw_error((env), "E_NATIVE", #call " failed"); \
      return NULL;                                        \
    }                                                     \
  } while (0)

const char *rd_errno_code(int err);
napi_value rd_errno_error(napi_env env, const char *code, const char *message);
/* The error an ended relay reports (undefined when it simply finished or was closed). */
napi_value rd_end_error(napi_env env, const rd_relay *r);
/* Starts the worker on first use; throws and returns 0 when it cannot. */
int rd_env_worker(napi_env env, rd_env *e);
void rd_env_hold(napi_env env, rd_env *e);
void rd_env_release(napi_env env, rd_env *e);
/* Calls a stored callback (deleting the reference when `last`) with argc values; last with argc 0 only drops it. */
void rd_call_ref(napi_env env, void **ref, int last, size_t argc, napi_value *argv);

/* addon-tls.c */
/* The TLS context a handle holds (server or client, as asked), or NULL when it is not one. */
rd_tls_ctx *rd_tls_ctx_arg(napi_env env, napi_value v, int server);
napi_status rd_tls_define(napi_env env, napi_value exports);

/* addon-events.c */
/* A string (latin1; NULL gives null) and a number. */
napi_value rd_str(napi_env env, const char *s);
napi_value rd_num(napi_env env, double d);
void rd_front_call_js(napi_env env, rd_env *e, rd_msg *m);

/* addon-front.c */
napi_status rd_front_define(napi_env env, napi_value exports, rd_env *e);

#endif
