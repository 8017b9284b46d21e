/*
 * N-API glue of TLS contexts for native fronts (tls.h):
 *   tlsAvailable                                   whether a TLS library is there (tls.h)
 *   tlsLibrary                                     "BoringSSL", "OpenSSL", or null
 *   tlsUnavailableReason                           why not, when tlsLibrary is null
 *   tlsServerContext(certPem, keyPem, alpn) -> ctx  for frontListen(..., ctx): VLESS over TLS
 *   tlsClientContext(sni, verifyName, caPem, alpn, pin) -> ctx
 *                                                  for frontConnect(..., ctx): TLS to the remote
 * Buffers: PEM text; alpn in wire format (length-prefixed names, may be empty); sni, verifyName
 * and pin may be null (verifyName null: insecure; pin: the 32-byte SHA-256 of the leaf's DER).
 * A bad certificate, key or list throws an Error with code E_TLS_CONFIG and the library's words.
 */
#define _GNU_SOURCE
#include "addon.h"

#include <string.h>

static const napi_type_tag server_tag = { 0x7264746c73737276ULL, 0x0000000000000001ULL };
static const napi_type_tag client_tag = { 0x7264746c73636c69ULL, 0x0000000000000002ULL };

static void finalize_ctx(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rd_tls_ctx_unref(data);
}

static napi_value wrap(napi_env env, rd_tls_ctx *c, const napi_type_tag *tag) {
  napi_value handle;
  if (napi_create_external(env, c, finalize_ctx, NULL, &handle) != napi_ok) {
    rd_tls_ctx_unref(c);
    napi_throw_error(env, "E_NATIVE", "cannot create the TLS context handle");
    return NULL;
  }
  napi_type_tag_object(env, handle, tag);
  return handle;
}

static int buffer_arg(napi_env env, napi_value v, const void **data, size_t *len, int nullable) {
  napi_valuetype t;
  if (nullable && napi_typeof(env, v, &t) == napi_ok && t == napi_null) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  void *p;
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return 0;
  *data = p;
  return 1;
}

/* A string argument or null, copied into buf; 0 when it is neither or too long. */
static int string_or_null(napi_env env, napi_value v, char *buf, size_t cap, const char **out) {
  napi_valuetype t;
  size_t len;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null) {
    *out = NULL;
    return 1;
  }
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok || len >= cap - 1 || strlen(buf) != len) return 0;
  *out = buf;
  return 1;
}

static napi_value config_error(napi_env env, const char *why) {
  napi_throw(env, rd_errno_error(env, "E_TLS_CONFIG", why));
  return NULL;
}

static int usable(napi_env env) {
  if (rd_tls_available()) return 1;
  const char *why;
  rd_tls_library(&why);
  napi_throw(env, rd_errno_error(env, "E_TLS_UNAVAILABLE", why));
  return 0;
}

static napi_value server_context(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  const void *cert, *key, *alpn;
  size_t cert_len, key_len, alpn_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || !buffer_arg(env, argv[0], &cert, &cert_len, 0) ||
      !buffer_arg(env, argv[1], &key, &key_len, 0) || !buffer_arg(env, argv[2], &alpn, &alpn_len, 0) || cert_len > 1 << 20 || key_len > 1 << 20) {
    napi_throw_type_error(env, NULL, "tlsServerContext(certPem, keyPem, alpn)");
    return NULL;
  }
  if (!usable(env)) return NULL;
  char why[200] = "";
  rd_tls_ctx *c = rd_tls_server_ctx(cert, cert_len, key, key_len, alpn, alpn_len, why, sizeof why);
  return c ? wrap(env, c, &server_tag) : config_error(env, why);
}

static napi_value client_context(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char sni_buf[256], name_buf[256];
  const char *sni, *name;
  const void *ca, *alpn, *pin;
  size_t ca_len, alpn_len, pin_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      !string_or_null(env, argv[0], sni_buf, sizeof sni_buf, &sni) || !string_or_null(env, argv[1], name_buf, sizeof name_buf, &name) ||
      !buffer_arg(env, argv[2], &ca, &ca_len, 1) || !buffer_arg(env, argv[3], &alpn, &alpn_len, 0) ||
      !buffer_arg(env, argv[4], &pin, &pin_len, 1) || (pin && pin_len != 32) || ca_len > 8 << 20) {
    napi_throw_type_error(env, NULL, "tlsClientContext(sni, verifyName, caPem, alpn, pin)");
    return NULL;
  }
  if (!usable(env)) return NULL;
  char why[200] = "";
  rd_tls_ctx *c = rd_tls_client_ctx(sni, name, ca, ca_len, alpn, alpn_len, pin, why, sizeof why);
  return c ? wrap(env, c, &client_tag) : config_error(env, why);
}

rd_tls_ctx *rd_tls_ctx_arg(napi_env env, napi_value v, int server) {
  bool tagged = false;
  void *data = NULL;
  if (napi_check_object_type_tag(env, v, server ? &server_tag : &client_tag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, v, &data) != napi_ok) {
    return NULL;
  }
  return data;
}

napi_status rd_tls_define(napi_env env, napi_value exports) {
  napi_value available, library, reason;
  const char *why;
  const char *name = rd_tls_library(&why);
  napi_get_boolean(env, name != NULL, &available);
  if (name) napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &library), napi_get_null(env, &reason);
  else napi_get_null(env, &library), napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &reason);
  napi_property_descriptor props[] = {
    { "tlsAvailable", NULL, NULL, NULL, NULL, available, napi_enumerable, NULL },
    { "tlsLibrary", NULL, NULL, NULL, NULL, library, napi_enumerable, NULL },
    { "tlsUnavailableReason", NULL, NULL, NULL, NULL, reason, napi_enumerable, NULL },
    { "tlsServerContext", NULL, server_context, NULL, NULL, NULL, napi_enumerable, NULL },
    { "tlsClientContext", NULL, client_context, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
