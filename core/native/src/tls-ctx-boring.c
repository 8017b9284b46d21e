/* tls-ctx.c built against BoringSSL (RD_TLS_BORING is set for the relaydesk_bssl target). */
#include "tls-ctx.c"
