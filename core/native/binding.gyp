# The Linux splice(2) relay addon (N-API, plain C). Built by build/native.js.
{
  "targets": [
    {
      "target_name": "relaydesk_splice",
      "sources": ["src/addon.c", "src/addon-events.c", "src/addon-front.c", "src/addon-tls.c", "src/front.c", "src/front-conn.c", "src/front-proto.c", "src/relay.c", "src/relay-copy.c", "src/sha1.c", "src/tls.c", "src/tls-ctx.c", "src/worker.c", "src/ws.c", "src/ws-http.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread", "-ldl"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
