# The Linux splice(2) relay addon (N-API, plain C). Built by build/native.js.
# With BoringSSL's headers (Debian's android-libboringssl-dev) the native TLS can also run on
# BoringSSL, loaded at run time (src/bssl-load.c); RELAYDESK_BORINGSSL_BUILD=0 leaves it out.
{
  "variables": {
    "have_bssl%": "<!(test \"$RELAYDESK_BORINGSSL_BUILD\" != 0 && test -f /usr/include/android/openssl/is_boringssl.h && echo 1 || echo 0)",
    "multiarch%": "<!(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
  },
  "targets": [
    {
      "target_name": "relaydesk_splice",
      "sources": ["src/addon.c", "src/addon-events.c", "src/addon-front.c", "src/addon-tls.c", "src/front.c", "src/front-conn.c", "src/front-proto.c", "src/relay.c", "src/relay-copy.c", "src/sha1.c", "src/tls.c", "src/tls-backend.c", "src/tls-ctx.c", "src/worker.c", "src/ws.c", "src/ws-http.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread", "-ldl"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }],
        ["OS=='linux' and have_bssl==1", { "dependencies": ["relaydesk_bssl"], "defines": ["RD_HAVE_BSSL=1"] }]
      ]
    },
    {
      # tls.c and tls-ctx.c again, against BoringSSL's headers, calling it through bssl.h's table.
      "target_name": "relaydesk_bssl",
      "type": "static_library",
      "sources": ["src/bssl-bio.c", "src/bssl-load.c", "src/bssl-tickets.c", "src/tls-boring.c", "src/tls-ctx-boring.c"],
      "include_dirs+": ["/usr/include/android"],
      "defines!": ["OPENSSL_THREADS"],
      "defines": ["RD_TLS_BORING=1", "RD_BSSL_DEFAULT_PATH=\"/usr/lib/<(multiarch)/android/libssl.so.0\""],
      "cflags": ["-std=gnu11", "-O2", "-fPIC", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS!='linux' or have_bssl==0", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
