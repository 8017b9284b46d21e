/*
 * N-API glue of native fronts:
 *   frontListen(ip, port, backlog, handshakeMs, proto, onEvent[, tlsServerContext, wsPath]) -> [front, boundPort]
 *     proto 0: SOCKS5 (no-auth greeting, CONNECT); 1: VLESS (header without addons, TCP command),
 *     over TLS with a server context (addon-tls.c), over WebSocket upgrades to wsPath, or both
 *     onEvent(0, conn, atyp, host, port, peerAddress, peerPort[, uuid, payload])
 *                                                                a request to route (VLESS: its
 *                                                                UUID and the bytes after the header)
 *     onEvent(1, fd, stage, bytes, peerAddress, peerPort)        the JS inbound takes over (stage 2:
 *                                                                a socketpair to a TLS/WebSocket client;
 *                                                                3: to a wss port's plain HTTP request)
 *     onEvent(2, kind | null, reason, peerAddress, peerPort)      a handshake ended badly
 *     onEvent(3)                                                 the listener is closed
 *   frontClose(front)
 *   frontConnect(conn, ip, port, connectMs, idleMs, onConn[, prefix, stripVless, tlsClientContext, wsPath, wsHost])
 *     onConn(1) connected, onConn(2, err?) ended; `prefix` goes to the remote first (a VLESS request
 *     header), and with stripVless the remote's VLESS response header is dropped; with a client
 *     context the remote is TLS, with wsPath/wsHost a WebSocket, with both a WebSocket over TLS
 *     (err.syscall "handshake" when that failed, err.reason says why: "TLS: ..." for its TLS)
 *   frontReject(conn, rep)                                    SOCKS5 failure reply, then close
 *   frontRelease(conn, onFd)                                  onFd(fd): the client is JS's now
 * sample(conn) and close(conn) are the splice relay's own.
 */
#define _GNU_SOURCE
#include "addon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, rd_env **e) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)e) != napi_ok || argc < want) return 0;
  return 1;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len;
  return napi_get_value_string_utf8(env, v, buf, cap, &len) == napi_ok && len < cap - 1;
}

static int is_function(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_function;
}

static void finalize_front(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rd_front_unref(data);
}

/* An optional string argument (undefined: NULL), copied; 0 (thrown) when it is something else. */
static int optional_string(napi_env env, napi_value v, char **out, const char *usage) {
  napi_valuetype t;
  size_t len;
  *out = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t == napi_undefined) return 1;
  if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len > 2048) goto bad;
  *out = malloc(len + 1);
  if (!*out) goto bad;
  napi_get_value_string_utf8(env, v, *out, len + 1, &len);
  if (strlen(*out) == len && !strpbrk(*out, "\r\n")) return 1;
  free(*out);
  *out = NULL;
bad:
  napi_throw_type_error(env, NULL, usage);
  return 0;
}

static napi_value front_listen(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  rd_env *e;
  char ip[INET6_ADDRSTRLEN + 1];
  int32_t port, backlog, proto;
  double hs_ms;
  if (!get_args(env, info, 6, argv, &e) || !get_string(env, argv[0], ip, sizeof ip) ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok || napi_get_value_int32(env, argv[2], &backlog) != napi_ok ||
      napi_get_value_double(env, argv[3], &hs_ms) != napi_ok || napi_get_value_int32(env, argv[4], &proto) != napi_ok ||
      !is_function(env, argv[5]) || port < 0 || port > 65535 || (proto != RD_PROTO_SOCKS5 && proto != RD_PROTO_VLESS)) {
    napi_throw_type_error(env, NULL, "frontListen(ip, port, backlog, handshakeMs, proto, onEvent[, tlsServerContext])");
    return NULL;
  }
  size_t argc = 8;
  napi_valuetype t = napi_undefined;
  rd_tls_ctx *tls = NULL;
  char *ws_path = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 7 && napi_typeof(env, argv[6], &t) == napi_ok && t != napi_undefined &&
      (proto != RD_PROTO_VLESS || (tls = rd_tls_ctx_arg(env, argv[6], 1)) == NULL)) {
    napi_throw_type_error(env, NULL, "frontListen: TLS needs a tlsServerContext and the VLESS protocol");
    return NULL;
  }
  if (argc >= 8 && !optional_string(env, argv[7], &ws_path, "frontListen: wsPath must be a path")) return NULL;
  if (ws_path && (proto != RD_PROTO_VLESS || ws_path[0] != '/')) {
    free(ws_path);
    napi_throw_type_error(env, NULL, "frontListen: WebSocket needs the VLESS protocol and a path");
    return NULL;
  }
  if (!rd_env_worker(env, e)) return free(ws_path), NULL;
  int bound;
  int fd = rd_front_listen(ip, port, backlog, &bound);
  if (fd < 0) {
    free(ws_path);
    napi_value err = rd_errno_error(env, rd_errno_code(errno), rd_errno_code(errno));
    napi_set_named_property(env, err, "syscall", rd_str(env, "listen"));
    napi_throw(env, err);
    return NULL;
  }
  rd_front *f = calloc(1, sizeof *f);
  if (!f) {
    free(ws_path);
    close(fd);
    napi_throw(env, rd_errno_error(env, "ENOMEM", "out of memory"));
    return NULL;
  }
  atomic_init(&f->refs, 1);
  f->ep.relay = NULL;
  f->ep.side = RD_SIDE_LISTENER;
  f->fd = fd;
  f->proto = proto;
  f->ws_path = ws_path;
  if (tls) {
    rd_tls_ctx_ref(tls);
    f->tls = tls;
  }
  f->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  f->handshake_ms = hs_ms > 0 && hs_ms < 1e9 ? (int64_t)hs_ms : 10000;
  napi_value handle, out;
  napi_ref on_event;
  if (napi_create_external(env, f, finalize_front, NULL, &handle) != napi_ok ||
      napi_create_reference(env, argv[5], 1, &on_event) != napi_ok) {
    rd_front_unref(f);
    napi_throw_error(env, "E_NATIVE", "cannot create the front handle");
    return NULL;
  }
  f->js_on_event = on_event;
  if (rd_worker_front(e->worker, CMD_FRONT_ADD, NULL, f, 0) < 0) {
    f->js_on_event = NULL;
    napi_delete_reference(env, on_event);
    rd_front_unref(f);
    napi_throw(env, rd_errno_error(env, "ENOMEM", "cannot queue the listener"));
    return NULL;
  }
  /* The creator's reference is the JS handle's (finalize_front). */
  rd_env_hold(env, e);
  CHECK(env, napi_create_array_with_length(env, 2, &out));
  CHECK(env, napi_set_element(env, out, 0, handle));
  CHECK(env, napi_set_element(env, out, 1, rd_num(env, bound)));
  return out;
}

static void *external_arg(napi_env env, napi_value v) {
  void *data = NULL;
  return napi_get_value_external(env, v, &data) == napi_ok ? data : NULL;
}

static napi_value front_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  rd_env *e;
  rd_front *f;
  if (!get_args(env, info, 1, argv, &e) || (f = external_arg(env, argv[0])) == NULL || f->ep.side != RD_SIDE_LISTENER) {
    napi_throw_type_error(env, NULL, "frontClose(front)");
    return NULL;
  }
  if (f->js_on_event != NULL && rd_worker_front(e->worker, CMD_FRONT_CLOSE, NULL, f, 0) < 0) {
    napi_throw(env, rd_errno_error(env, "ENOMEM", "cannot queue the close request"));
  }
  return NULL;
}

/* A front connection JS may still act on (a REQUEST delivered, nothing asked of it yet). */
static rd_relay *pending_conn(napi_env env, napi_value v, const char *usage) {
  rd_relay *r = external_arg(env, v);
  if (r == NULL || r->front == NULL || r->ep[0].relay != r) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (r->js_on_end != NULL || r->js_ended) {
    napi_throw(env, rd_errno_error(env, "ERR_INVALID_STATE", "the connection was already answered or has ended"));
    return NULL;
  }
  return r;
}

/* Stores `cb` as the connection's callback and queues `op`; throws when it cannot be queued. */
static void queue_with_callback(napi_env env, rd_env *e, rd_relay *r, int op, napi_value cb) {
  napi_ref ref;
  if (napi_create_reference(env, cb, 1, &ref) != napi_ok) {
    napi_throw_error(env, "E_NATIVE", "napi_create_reference failed");
    return;
  }
  r->js_on_end = ref;
  r->js_releasing = op == CMD_RELEASE;
  if (rd_worker_front(e->worker, op, r, NULL, 0) < 0) {
    r->js_on_end = NULL;
    r->js_releasing = 0;
    napi_delete_reference(env, ref);
    napi_throw(env, rd_errno_error(env, "ENOMEM", "cannot queue the request"));
    return;
  }
  rd_env_hold(env, e);
}

static napi_value front_connect(napi_env env, napi_callback_info info) {
  static const char *usage = "frontConnect(conn, ip, port, connectMs, idleMs, onConn[, prefix, stripVless, tlsClientContext, wsPath, wsHost])";
  napi_value argv[11];
  rd_env *e;
  char ip[INET6_ADDRSTRLEN + 1];
  int32_t port;
  double connect_ms, idle_ms;
  if (!get_args(env, info, 6, argv, &e)) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  rd_relay *r = pending_conn(env, argv[0], usage);
  if (r == NULL) return NULL;
  rd_hs *hs = r->hs;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&hs->dst;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&hs->dst;
  if (!get_string(env, argv[1], ip, sizeof ip) || napi_get_value_int32(env, argv[2], &port) != napi_ok || port < 1 || port > 65535 ||
      napi_get_value_double(env, argv[3], &connect_ms) != napi_ok || napi_get_value_double(env, argv[4], &idle_ms) != napi_ok ||
      !is_function(env, argv[5])) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  memset(&hs->dst, 0, sizeof hs->dst);
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    hs->dstlen = sizeof *a4;
  } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    hs->dstlen = sizeof *a6;
  } else {
    napi_throw_type_error(env, NULL, "frontConnect: not an IP address");
    return NULL;
  }
  size_t argc = 11;
  napi_valuetype t = napi_undefined;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  rd_tls_ctx *tls = NULL;
  if (argc >= 9 && napi_typeof(env, argv[8], &t) == napi_ok && t != napi_undefined && (tls = rd_tls_ctx_arg(env, argv[8], 0)) == NULL) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  char *ws_path = NULL, *ws_host = NULL;
  if (argc >= 11 && (!optional_string(env, argv[9], &ws_path, usage) || !optional_string(env, argv[10], &ws_host, usage))) {
    free(ws_path);
    return NULL;
  }
  if ((ws_path == NULL) != (ws_host == NULL)) {
    free(ws_path);
    free(ws_host);
    napi_throw_type_error(env, NULL, "frontConnect: a WebSocket needs a path and a Host header");
    return NULL;
  }
  free(hs->ws_path);
  free(hs->ws_host);
  hs->ws_path = ws_path;
  hs->ws_host = ws_host;
  if (argc >= 8 && napi_typeof(env, argv[6], &t) == napi_ok && t != napi_undefined) {
    void *bytes;
    size_t len;
    bool strip = false;
    if (napi_get_buffer_info(env, argv[6], &bytes, &len) != napi_ok || len == 0 || len > 4096 ||
        napi_get_value_bool(env, argv[7], &strip) != napi_ok) {
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
    free(hs->prefix);
    hs->prefix = malloc(len);
    if (hs->prefix == NULL) {
      napi_throw(env, rd_errno_error(env, "ENOMEM", "out of memory"));
      return NULL;
    }
    memcpy(hs->prefix, bytes, len);
    hs->prefix_len = len;
    hs->strip_vless = strip;
  }
  if (tls) {
    rd_tls_ctx_ref(tls);
    if (hs->tls_client) rd_tls_ctx_unref(hs->tls_client);
    hs->tls_client = tls;
  }
  hs->connect_ms = connect_ms > 0 && connect_ms < 1e9 ? (int64_t)connect_ms : 10000;
  r->idle_ms = idle_ms > 0 && idle_ms < 1e12 ? (int64_t)idle_ms : 0;
  queue_with_callback(env, e, r, CMD_CONNECT, argv[5]);
  return NULL;
}

static napi_value front_reject(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  rd_env *e;
  int32_t rep;
  if (!get_args(env, info, 2, argv, &e) || napi_get_value_int32(env, argv[1], &rep) != napi_ok || rep < 1 || rep > 255) {
    napi_throw_type_error(env, NULL, "frontReject(conn, rep)");
    return NULL;
  }
  rd_relay *r = pending_conn(env, argv[0], "frontReject(conn, rep)");
  if (r != NULL && rd_worker_front(e->worker, CMD_REJECT, r, NULL, rep) < 0) {
    napi_throw(env, rd_errno_error(env, "ENOMEM", "cannot queue the reply"));
  }
  return NULL;
}

static napi_value front_release(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  rd_env *e;
  if (!get_args(env, info, 2, argv, &e) || !is_function(env, argv[1])) {
    napi_throw_type_error(env, NULL, "frontRelease(conn, onFd)");
    return NULL;
  }
  rd_relay *r = pending_conn(env, argv[0], "frontRelease(conn, onFd)");
  if (r != NULL) queue_with_callback(env, e, r, CMD_RELEASE, argv[1]);
  return NULL;
}

napi_status rd_front_define(napi_env env, napi_value exports, rd_env *e) {
  napi_property_descriptor props[] = {
    { "frontListen", NULL, front_listen, NULL, NULL, NULL, napi_enumerable, e },
    { "frontClose", NULL, front_close, NULL, NULL, NULL, napi_enumerable, e },
    { "frontConnect", NULL, front_connect, NULL, NULL, NULL, napi_enumerable, e },
    { "frontReject", NULL, front_reject, NULL, NULL, NULL, napi_enumerable, e },
    { "frontRelease", NULL, front_release, NULL, NULL, NULL, napi_enumerable, e },
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
