/* The WebSocket upgrade (see ws.h): the server's check of a request head, the client's request
   and its check of the 101 answer, and the accept key both compute. */
#define _GNU_SOURCE
#include "ws-internal.h"

#include "sha1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

void rd_ws_accept_key(const char *key, size_t key_len, char out[29]) {
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  uint8_t buf[128], digest[20];
  if (key_len > sizeof buf - (sizeof guid - 1)) key_len = sizeof buf - (sizeof guid - 1);
  memcpy(buf, key, key_len);
  memcpy(buf + key_len, guid, sizeof guid - 1);
  rd_sha1(buf, key_len + sizeof guid - 1, digest);
  rd_base64(digest, 20, out);
}

/* The value of header `name` in the head's header lines (trimmed), or NULL; *len set. */
static const char *header(const char *head, size_t head_len, const char *name, size_t *len) {
  size_t nlen = strlen(name);
  const char *end = head + head_len;
  const char *line = memchr(head, '\n', head_len);
  while (line && ++line < end) {
    const char *eol = memchr(line, '\r', (size_t)(end - line));
    if (!eol) eol = end;
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    if (colon) {
      const char *n0 = line, *n1 = colon;
      while (n0 < n1 && (*n0 == ' ' || *n0 == '\t')) n0++;
      while (n1 > n0 && (n1[-1] == ' ' || n1[-1] == '\t')) n1--;
      if ((size_t)(n1 - n0) == nlen && strncasecmp(n0, name, nlen) == 0) {
        const char *v0 = colon + 1, *v1 = eol;
        while (v0 < v1 && (*v0 == ' ' || *v0 == '\t')) v0++;
        while (v1 > v0 && (v1[-1] == ' ' || v1[-1] == '\t')) v1--;
        *len = (size_t)(v1 - v0);
        return v0;
      }
    }
    line = memchr(eol, '\n', (size_t)(end - eol));
  }
  return NULL;
}

static int value_is(const char *v, size_t len, const char *want) {
  return v && len == strlen(want) && strncasecmp(v, want, len) == 0;
}

/* Whether a comma-separated header value lists `token` (case-insensitive). */
static int has_token(const char *v, size_t len, const char *token) {
  size_t tlen = strlen(token);
  const char *end = v ? v + len : NULL;
  while (v && v < end) {
    const char *comma = memchr(v, ',', (size_t)(end - v));
    const char *t0 = v, *t1 = comma ? comma : end;
    while (t0 < t1 && *t0 == ' ') t0++;
    while (t1 > t0 && t1[-1] == ' ') t1--;
    if ((size_t)(t1 - t0) == tlen && strncasecmp(t0, token, tlen) == 0) return 1;
    v = comma ? comma + 1 : NULL;
  }
  return 0;
}

static const uint8_t *find_head_end(const uint8_t *buf, size_t len) {
  return memmem(buf, len, "\r\n\r\n", 4);
}

int rd_ws_server_head(const uint8_t *buf, size_t len, const char *path, size_t *head_end, char accept[29]) {
  const uint8_t *end = find_head_end(buf, len);
  if (!end) return 0;
  const char *head = (const char *)buf;
  size_t hlen = (size_t)((const char *)end - head) + 2; /* keep the last line's CRLF */
  /* "GET <path>[?query] HTTP/1.1" exactly, as the JS acceptor checks it. */
  const char *eol = memchr(head, '\r', hlen);
  size_t plen = strlen(path);
  if (!eol || (size_t)(eol - head) < 4 + plen + 9 || memcmp(head, "GET ", 4) != 0 || memcmp(eol - 9, " HTTP/1.1", 9) != 0) return -1;
  const char *url = head + 4, *url_end = eol - 9;
  const char *q = memchr(url, '?', (size_t)(url_end - url));
  const char *path_end = q ? q : url_end;
  if ((size_t)(path_end - url) != plen || memcmp(url, path, plen) != 0 || memchr(url, ' ', (size_t)(url_end - url))) return -1;
  size_t vlen, clen, klen, ulen;
  const char *upgrade = header(head, hlen, "upgrade", &ulen);
  const char *connection = header(head, hlen, "connection", &clen);
  const char *version = header(head, hlen, "sec-websocket-version", &vlen);
  const char *key = header(head, hlen, "sec-websocket-key", &klen);
  if (!value_is(upgrade, ulen, "websocket") || !has_token(connection, clen, "upgrade") || !version || vlen != 2 || memcmp(version, "13", 2) != 0) return -1;
  if (!key || klen != 24 || key[22] != '=' || key[23] != '=') return -1;
  for (size_t i = 0; i < 22; i++) {
    char c = key[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/')) return -1;
  }
  rd_ws_accept_key(key, klen, accept);
  *head_end = (size_t)(end - buf) + 4;
  return 1;
}

/* Why a 101 answer head is not the upgrade we asked for, or NULL. */
static const char *check_response(rd_ws *w, const char *head, size_t hlen, char *buf, size_t cap) {
  const char *eol = memchr(head, '\r', hlen);
  size_t line = eol ? (size_t)(eol - head) : hlen;
  if (line < 12 || memcmp(head, "HTTP/1.", 7) != 0 || (head[7] != '0' && head[7] != '1') || head[8] != ' ') {
    snprintf(buf, cap, "malformed response \"%.*s\"", (int)(line < 60 ? line : 60), head);
    return buf;
  }
  if (memcmp(head + 9, "101", 3) != 0) {
    const char *reason = head + 12;
    while (reason < head + line && *reason == ' ') reason++;
    int rlen = (int)(head + line - reason);
    snprintf(buf, cap, "HTTP %.3s%s%.*s", head + 9, rlen > 0 ? " " : "", rlen > 80 ? 80 : rlen, reason);
    return buf;
  }
  size_t ulen, alen, elen;
  const char *upgrade = header(head, hlen, "upgrade", &ulen);
  const char *accept = header(head, hlen, "sec-websocket-accept", &alen);
  if (!value_is(upgrade, ulen, "websocket")) return "HTTP 101 without \"Upgrade: websocket\"";
  if (!accept || alen != 28 || memcmp(accept, w->accept, 28) != 0) return "HTTP 101 with a wrong Sec-WebSocket-Accept";
  if (header(head, hlen, "sec-websocket-extensions", &elen)) return "HTTP 101 with an extension that was not offered";
  return NULL;
}

int rd_ws_client_handshake(rd_layer *l, int fd) {
  rd_ws *w = (rd_ws *)l;
  if (w->under && !w->under_up) {
    /* wss: TLS first; its failure reads "TLS: ..." */
    int rc = w->under->ops->handshake(w->under, fd);
    if (rc <= 0) {
      if (rc < 0) snprintf(w->base.why, sizeof w->base.why, "TLS: %.150s", w->under->why);
      return rc;
    }
    w->under_up = 1;
  }
  while (w->req_off < w->req_len) {
    ssize_t n = rd_ws_io_write(w, fd, w->request + w->req_off, w->req_len - w->req_off);
    if (n > 0) {
      w->req_off += (size_t)n;
    } else if (n < 0 && errno == EAGAIN) {
      return 0;
    } else if (!(n < 0 && errno == EINTR)) {
      snprintf(w->base.why, sizeof w->base.why, "failed: %s", strerror(errno));
      return -1;
    }
  }
  for (;;) {
    if (w->head_len == HEAD_MAX) {
      snprintf(w->base.why, sizeof w->base.why, "failed: response head too large");
      errno = EPROTO;
      return -1;
    }
    ssize_t n = rd_ws_io_read(w, fd, w->head + w->head_len, HEAD_MAX - w->head_len);
    if (n == 0) {
      snprintf(w->base.why, sizeof w->base.why, "failed: the server closed the connection");
      errno = ECONNRESET;
      return -1;
    }
    if (n < 0) {
      if (errno == EAGAIN) return 0;
      if (errno == EINTR) continue;
      snprintf(w->base.why, sizeof w->base.why, "failed: %s", strerror(errno));
      return -1;
    }
    w->head_len += (size_t)n;
    const uint8_t *end = find_head_end(w->head, w->head_len);
    if (!end) continue;
    size_t hlen = (size_t)(end - w->head) + 2, rest = w->head_len - (hlen + 2);
    char buf[128];
    const char *problem = check_response(w, (const char *)w->head, hlen, buf, sizeof buf);
    if (problem) {
      snprintf(w->base.why, sizeof w->base.why, "refused: %s", problem);
      errno = EPROTO;
      return -1;
    }
    if (rest > 0) {
      w->pre = malloc(rest);
      if (!w->pre) {
        errno = ENOMEM;
        return -1;
      }
      memcpy(w->pre, w->head + hlen + 2, rest);
      w->pre_len = rest;
    }
    free(w->request);
    free(w->head);
    w->request = NULL;
    w->head = NULL;
    return 1;
  }
}
