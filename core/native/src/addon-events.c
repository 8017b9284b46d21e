/* The front events the worker posts, delivered to JS (the callbacks addon-front.c documents). */
#define _GNU_SOURCE
#include "addon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

napi_value rd_str(napi_env env, const char *s) {
  napi_value v;
  if (s == NULL) napi_get_null(env, &v);
  else napi_create_string_latin1(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

napi_value rd_num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static void peer_values(napi_env env, const struct sockaddr_storage *ss, napi_value out[2]) {
  char buf[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    port = ntohs(a->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    port = ntohs(a->sin6_port);
  }
  out[0] = rd_str(env, buf);
  out[1] = rd_num(env, port);
}

static void finalize_conn(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rd_relay_unref(data);
}

void rd_front_call_js(napi_env env, rd_env *e, rd_msg *m) {
  rd_relay *r = m->r;
  rd_front *f = m->f;
  napi_value argv[7];
  switch (m->type) {
    case RD_MSG_END:
      r->js_ended = 1;
      if (r->js_on_end != NULL) {
        rd_env_release(env, e);
        argv[0] = rd_num(env, 2);
        argv[1] = rd_end_error(env, r);
        /* A release overtaken by a close: the onFd callback is dropped uncalled. */
        rd_call_ref(env, &r->js_on_end, 1, r->js_releasing ? 0 : 2, argv);
      }
      return;
    case RD_MSG_CONNECTED:
      argv[0] = rd_num(env, 1);
      rd_call_ref(env, &r->js_on_end, 0, 1, argv);
      return;
    case RD_MSG_RELEASED:
      r->js_ended = 1;
      if (r->js_on_end != NULL) {
        rd_env_release(env, e);
        argv[0] = rd_num(env, m->fd);
        m->fd = -1;
        rd_call_ref(env, &r->js_on_end, 1, 1, argv);
      }
      return;
    case RD_MSG_REQUEST: {
      char host[INET6_ADDRSTRLEN + 256];
      rd_hs *hs = r->hs;
      if (hs->atyp == 1) inet_ntop(AF_INET, hs->host, host, sizeof host);
      else if (hs->atyp == 4) inet_ntop(AF_INET6, hs->host, host, sizeof host);
      else memcpy(host, hs->host, strlen(hs->host) + 1);
      if (f->js_on_event == NULL || napi_create_external(env, r, finalize_conn, NULL, &argv[1]) != napi_ok) {
        rd_worker_close(e->worker, r);
        return;
      }
      m->r = NULL; /* the message's reference is the handle's now */
      napi_value args[9];
      memcpy(args, argv, sizeof argv);
      args[0] = rd_num(env, 0);
      args[2] = rd_num(env, hs->atyp);
      args[3] = rd_str(env, host);
      args[4] = rd_num(env, hs->port);
      peer_values(env, &hs->peer, &args[5]);
      size_t argc = 7;
      void *data;
      if (f->proto == RD_PROTO_VLESS && napi_create_buffer_copy(env, 16, hs->uuid, &data, &args[7]) == napi_ok &&
          napi_create_buffer_copy(env, m->len, m->bytes, &data, &args[8]) == napi_ok) {
        argc = 9;
      }
      rd_call_ref(env, &f->js_on_event, 0, argc, args);
      return;
    }
    case RD_MSG_HANDOFF: {
      if (f->js_on_event == NULL) return; /* closed: call_js closes m->fd */
      void *data;
      argv[0] = rd_num(env, 1);
      argv[1] = rd_num(env, m->fd);
      argv[2] = rd_num(env, m->stage);
      if (napi_create_buffer_copy(env, m->len, m->bytes, &data, &argv[3]) != napi_ok) return;
      m->fd = -1;
      peer_values(env, &m->peer, &argv[4]);
      rd_call_ref(env, &f->js_on_event, 0, 6, argv);
      return;
    }
    case RD_MSG_BAD:
      argv[0] = rd_num(env, 2);
      argv[1] = rd_str(env, m->kind);
      argv[2] = rd_str(env, m->reason);
      peer_values(env, &m->peer, &argv[3]);
      rd_call_ref(env, &f->js_on_event, 0, 5, argv);
      return;
    case RD_MSG_FRONT_CLOSED:
      if (f->js_on_event != NULL) {
        rd_env_release(env, e);
        argv[0] = rd_num(env, 3);
        rd_call_ref(env, &f->js_on_event, 1, 1, argv);
      }
      return;
  }
}
