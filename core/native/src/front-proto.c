/*
 * What front connections say before JS routes them: the SOCKS5 no-auth greeting and CONNECT
 * request, and the VLESS request header; anything off those paths is handed to JS.
 */
#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Posts RD_MSG_BAD for a handshake that ended, then drops the connection. */
void rd_front_bad(rd_worker *w, rd_relay *r, const char *kind, const char *reason) {
  rd_msg *m = rd_msg_new(RD_MSG_BAD, NULL, r->front);
  if (m) {
    m->kind = kind;
    snprintf((char *)m->bytes, sizeof m->bytes, "%s", reason); /* a layer's words live with the relay */
    m->reason = (const char *)m->bytes;
    m->peer = r->hs->peer;
    rd_w_post(w, m);
  }
  rd_w_drop(w, r);
}

/*
 * Gives the client's descriptor and what it sent to JS; `stage` says where JS picks up. A client
 * behind TLS or a WebSocket stays here: JS gets a socketpair carrying its plain bytes.
 */
void rd_front_handoff(rd_worker *w, rd_relay *r, int64_t now) {
  rd_msg *m = rd_msg_new(RD_MSG_HANDOFF, NULL, r->front);
  if (!m) {
    rd_w_drop(w, r);
    return;
  }
  m->stage = r->hs->stage;
  if (r->layer[0]) m->stage = r->front->ws_path && !r->hs->ws_up ? RD_STAGE_BRIDGED_HTTP : RD_STAGE_BRIDGED;
  m->len = r->hs->len;
  memcpy(m->bytes, r->hs->buf, r->hs->len);
  m->peer = r->hs->peer;
  if (rd_front_give_client(w, r, m, now) < 0 && !r->done) rd_w_drop(w, r);
}

const char *rd_front_stage_kind(const rd_relay *r) {
  if (r->hs->len == 0) return NULL;
  if (r->front->proto == RD_PROTO_VLESS) return "vless-truncated";
  return r->hs->stage == 1 ? "socks5-request" : "socks5-greeting";
}

/* Posts the request to JS: the connection waits for its route. */
static int request(rd_worker *w, rd_relay *r) {
  r->phase = RD_PHASE_WAIT;
  r->deadline_ms = 0; /* JS routes and dials under its own timeouts now */
  rd_msg *m = rd_msg_new(RD_MSG_REQUEST, r, r->front);
  if (!m) return rd_w_drop(w, r), 1;
  if (r->front->proto == RD_PROTO_VLESS) {
    m->len = r->hs->len - r->hs->head;
    memcpy(m->bytes, r->hs->buf + r->hs->head, m->len);
  }
  rd_relay_ref(r);
  rd_w_post(w, m);
  return 1;
}

/*
 * A VLESS request header without addons for a TCP destination; anything else (another first
 * byte: HTTP for the fallback, addons, UDP, Mux, a bad address) is the JS inbound's to judge.
 */
static int parse_vless(rd_worker *w, rd_relay *r, int64_t now) {
  rd_hs *hs = r->hs;
  const uint8_t *b = hs->buf;
  if (b[0] != 0) return rd_front_handoff(w, r, now), 1;
  if (hs->len < 18) return 0;
  if (b[17] != 0) return rd_front_handoff(w, r, now), 1; /* addons (flow) */
  if (hs->len < 19) return 0;
  if (b[18] != 1) return rd_front_handoff(w, r, now), 1; /* UDP, Mux (no address follows) or unknown */
  if (hs->len < 22) return 0;
  size_t need;
  switch (b[21]) {
    case 1: need = 26; break;
    case 2: need = hs->len > 22 && b[22] != 0 ? 23 + (size_t)b[22] : 0; break;
    case 3: need = 38; break;
    default: return rd_front_handoff(w, r, now), 1;
  }
  if (need == 0) return hs->len > 22 ? (rd_front_handoff(w, r, now), 1) : 0;
  if (hs->len < need) return 0;
  memcpy(hs->uuid, b + 1, 16);
  hs->port = (uint16_t)(b[19] << 8 | b[20]);
  if (b[21] == 2) {
    for (size_t i = 0; i < b[22]; i++) {
      if (b[23 + i] < 0x21 || b[23 + i] > 0x7e) return rd_front_handoff(w, r, now), 1;
    }
    hs->atyp = 3;
    memcpy(hs->host, b + 23, b[22]);
    hs->host[b[22]] = 0;
  } else {
    hs->atyp = b[21] == 1 ? 1 : 4;
    memcpy(hs->host, b + 22, b[21] == 1 ? 4 : 16);
  }
  hs->head = need;
  return request(w, r);
}

/* Parses what arrived; returns 1 when the connection left the handshake (request, handoff, drop). */
int rd_front_parse(rd_worker *w, rd_relay *r, int64_t now) {
  rd_hs *hs = r->hs;
  const uint8_t *b = hs->buf;
  if (r->front->proto == RD_PROTO_VLESS) return parse_vless(w, r, now);
  if (hs->stage == 0) {
    if (hs->len < 2) return hs->len >= 1 && b[0] != 5 ? (rd_front_handoff(w, r, now), 1) : 0;
    if (b[0] != 5 || b[1] == 0) return rd_front_handoff(w, r, now), 1;
    size_t end = 2 + (size_t)b[1];
    if (hs->len < end) return 0;
    if (memchr(b + 2, 0x00, b[1]) == NULL) return rd_front_handoff(w, r, now), 1; /* no "no auth": JS decides */
    static const uint8_t no_auth[2] = { 5, 0 };
    if (write(r->fd[0], no_auth, 2) != 2) return rd_front_bad(w, r, "socks5-greeting", "cannot answer the greeting"), 1;
    memmove(hs->buf, b + end, hs->len - end);
    hs->len -= end;
    hs->stage = 1;
  }
  if (hs->len < 5) return 0;
  /* CONNECT with a valid address only; BIND, UDP ASSOCIATE and every error are JS's to answer. */
  if (b[0] != 5 || b[1] != 1 || b[2] != 0) return rd_front_handoff(w, r, now), 1;
  size_t need;
  switch (b[3]) {
    case 1: need = 10; break;
    case 4: need = 22; break;
    case 3: need = b[4] == 0 ? 0 : 7 + (size_t)b[4]; break;
    default: need = 0;
  }
  if (need == 0 || hs->len > need) return rd_front_handoff(w, r, now), 1; /* bad ATYP, empty name, pipelined data */
  if (hs->len < need) return 0;
  hs->atyp = b[3];
  if (b[3] == 3) {
    /* Printable ASCII only, as the JS codec demands; it explains the refusal. */
    for (size_t i = 0; i < b[4]; i++) {
      if (b[5 + i] < 0x21 || b[5 + i] > 0x7e) return rd_front_handoff(w, r, now), 1;
    }
    memcpy(hs->host, b + 5, b[4]);
    hs->host[b[4]] = 0;
  } else {
    memcpy(hs->host, b + 4, b[3] == 1 ? 4 : 16); /* raw address bytes; JS formats them */
  }
  hs->port = (uint16_t)(b[need - 2] << 8 | b[need - 1]);
  return request(w, r);
}
