/*
 * Loads BoringSSL for the native TLS (bssl.h): Debian's android-libboringssl, or the libssl.so
 * RELAYDESK_BORINGSSL names. RTLD_DEEPBIND binds the library, and the libcrypto it needs, to their
 * own symbols first: without it their calls into each other would reach the OpenSSL that Node
 * exports under the same names.
 */
#define _GNU_SOURCE
#define RD_BSSL_LOADER
#include "bssl.h"
#include "tls-internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef RD_BSSL_DEFAULT_PATH
#define RD_BSSL_DEFAULT_PATH "/usr/lib/x86_64-linux-gnu/android/libssl.so.0"
#endif

struct rd_bssl_table rd_bssl;

static const rd_tls_backend backend = {
  "BoringSSL", rd_bssl_server_ctx, rd_bssl_client_ctx, rd_bssl_ctx_ref, rd_bssl_ctx_unref, rd_bssl_layer,
};

/* Called once (tls-backend.c). */
const rd_tls_backend *rd_bssl_backend(char *why, size_t cap) {
  const char *path = getenv("RELAYDESK_BORINGSSL");
  if (path == NULL || *path == '\0') path = RD_BSSL_DEFAULT_PATH;
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (lib == NULL) {
    snprintf(why, cap, "BoringSSL: %s", dlerror());
    return NULL;
  }
  /* A libssl.so that is not BoringSSL (an OpenSSL's) has no BORINGSSL_self_test. */
  if (dlsym(lib, "BORINGSSL_self_test") == NULL) {
    snprintf(why, cap, "BoringSSL: %s is not BoringSSL", path);
    dlclose(lib);
    return NULL;
  }
#define RD_BSSL_LOAD(name)                                                  \
  if ((*(void **)&rd_bssl.name = dlsym(lib, #name)) == NULL) {              \
    snprintf(why, cap, "BoringSSL: %s has no %s", path, #name);             \
    dlclose(lib);                                                           \
    return NULL;                                                            \
  }
  RD_BSSL_FUNCTIONS(RD_BSSL_LOAD)
#undef RD_BSSL_LOAD
  return &backend; /* the library stays loaded for the life of the process */
}
