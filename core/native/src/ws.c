/* WebSocket for native fronts (see ws.h): the upgrade on both sides, then frames in and out. */
#define _GNU_SOURCE
#include "ws.h"

#include "sha1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#define OP_CONT 0x0
#define OP_TEXT 0x1
#define OP_BINARY 0x2
#define OP_CLOSE 0x8
#define OP_PING 0x9
#define OP_PONG 0xa
/* Largest payload of one frame we send: one pump buffer. */
#define FRAME_MAX (64 * 1024)
#define HEAD_MAX 4096

typedef struct {
  rd_layer base;
  int server;              /* accepted: reads masked frames, writes plain ones */
  /* Client handshake. */
  char *request;
  size_t req_len, req_off;
  char accept[29];
  uint8_t *head;
  size_t head_len;
  /* Frames in. */
  uint8_t *pre;            /* frame bytes that came with the handshake, read first */
  size_t pre_off, pre_len;
  uint8_t hdr[14], hdr_len, in_payload, opcode, mask[4], mask_pos, ctl_len;
  uint64_t left;           /* payload bytes still due in the current frame */
  uint8_t ctl[125];
  int close_got, close_sent, eof;
  /* Frames out: tx[tx_off, tx_len) waits for the socket; tx_payload stream bytes are in it. */
  uint8_t *tx;
  size_t tx_off, tx_len, tx_cap, tx_payload;
  uint64_t rng;
} rd_ws;

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

static uint32_t next_mask(rd_ws *w) {
  /* xorshift64*, seeded from getrandom: masking keys need to be unpredictable to the page a
     browser runs, not secret; one getrandom per connection instead of per frame. */
  w->rng ^= w->rng >> 12;
  w->rng ^= w->rng << 25;
  w->rng ^= w->rng >> 27;
  return (uint32_t)((w->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

/* XORs `n` bytes from src into dst with the mask at position *pos (dst may equal or trail src). */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], uint8_t *pos) {
  size_t i = 0;
  uint8_t p = *pos;
  while (i < n && p != 0) {
    dst[i] = src[i] ^ mask[p];
    i++;
    p = (p + 1) & 3;
  }
  uint32_t m;
  memcpy(&m, mask, 4);
  uint64_t m64 = (uint64_t)m << 32 | m;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, src + i, 8);
    v ^= m64;
    memcpy(dst + i, &v, 8);
  }
  for (; i < n; i++) {
    dst[i] = src[i] ^ mask[p];
    p = (p + 1) & 3;
  }
  *pos = p;
}

/* Appends one frame to tx (masked when we are the client). -1: out of memory. */
static int frame(rd_ws *w, int op, const uint8_t *payload, size_t len) {
  size_t need = w->tx_len + 14 + len;
  if (need > w->tx_cap) {
    size_t cap = need < FRAME_MAX + 14 ? FRAME_MAX + 14 : need;
    uint8_t *tx = realloc(w->tx, cap);
    if (!tx) return -1;
    w->tx = tx;
    w->tx_cap = cap;
  }
  uint8_t *h = w->tx + w->tx_len;
  size_t n = 0;
  h[n++] = (uint8_t)(0x80 | op);
  uint8_t maskbit = w->server ? 0 : 0x80;
  if (len < 126) {
    h[n++] = (uint8_t)(maskbit | len);
  } else if (len <= 0xffff) {
    h[n++] = maskbit | 126;
    h[n++] = (uint8_t)(len >> 8);
    h[n++] = (uint8_t)len;
  } else {
    h[n++] = maskbit | 127;
    for (int i = 7; i >= 0; i--) h[n++] = (uint8_t)((uint64_t)len >> (8 * i));
  }
  if (w->server) {
    memcpy(h + n, payload, len);
  } else {
    uint32_t m = next_mask(w);
    uint8_t mask[4], pos = 0;
    memcpy(mask, &m, 4);
    memcpy(h + n, mask, 4);
    n += 4;
    unmask(h + n, payload, len, mask, &pos);
  }
  w->tx_len += n + len;
  return 0;
}

/* Sends what tx holds: 0 when empty, -1 with errno (EAGAIN: the socket is full). */
static int flush(rd_ws *w, int fd) {
  while (w->tx_off < w->tx_len) {
    ssize_t n = send(fd, w->tx + w->tx_off, w->tx_len - w->tx_off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) w->tx_off += (size_t)n;
    else if (n < 0 && errno == EINTR) continue;
    else return -1;
  }
  /* Sent: an idle connection keeps no buffer. */
  free(w->tx);
  w->tx = NULL;
  w->tx_off = w->tx_len = w->tx_cap = 0;
  return 0;
}

static void send_close(rd_ws *w, int fd, uint16_t code) {
  if (w->close_sent) return;
  w->close_sent = 1;
  uint8_t payload[2] = { (uint8_t)(code >> 8), (uint8_t)code };
  if (frame(w, OP_CLOSE, payload, 2) == 0) flush(w, fd); /* best effort: the socket ends soon */
}

static int protocol_error(rd_ws *w, const char *what) {
  snprintf(w->base.why, sizeof w->base.why, "WebSocket protocol error: %s", what);
  errno = EPROTO;
  return -1;
}

/* A complete control frame: ping is answered, close echoed (and reading ends). */
static void on_control(rd_ws *w, int fd) {
  if (w->opcode == OP_PING) {
    if (!w->close_sent && frame(w, OP_PONG, w->ctl, w->ctl_len) == 0) flush(w, fd);
  } else if (w->opcode == OP_CLOSE) {
    w->close_got = 1;
    uint16_t code = w->ctl_len >= 2 ? (uint16_t)(w->ctl[0] << 8 | w->ctl[1]) : 1000;
    send_close(w, fd, code < 1000 || code == 1005 ? 1000 : code);
  }
}

/* Takes header bytes from src; 1 when the header is complete, 0 for more, -1 on a protocol error. */
static int take_header(rd_ws *w, const uint8_t *src, size_t n, size_t *used) {
  size_t need = 2;
  *used = 0;
  for (;;) {
    if (w->hdr_len >= 2) {
      uint8_t len7 = w->hdr[1] & 0x7f;
      need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((w->hdr[1] & 0x80) ? 4 : 0);
    }
    if (w->hdr_len == need) break;
    if (*used == n) return 0;
    w->hdr[w->hdr_len++] = src[(*used)++];
  }
  uint8_t b0 = w->hdr[0], b1 = w->hdr[1], len7 = b1 & 0x7f;
  if (b0 & 0x70) return protocol_error(w, "reserved bits set (no extension was agreed)");
  if (((b1 & 0x80) != 0) != (w->server != 0)) return protocol_error(w, w->server ? "unmasked frame from the client" : "masked frame from the server");
  w->opcode = b0 & 0x0f;
  size_t at = 2;
  uint64_t len = len7;
  if (len7 == 126) {
    len = (uint64_t)w->hdr[2] << 8 | w->hdr[3];
    at = 4;
  } else if (len7 == 127) {
    len = 0;
    for (int i = 0; i < 8; i++) len = len << 8 | w->hdr[2 + i];
    at = 10;
    if (len >> 63) return protocol_error(w, "frame length out of range");
  }
  if (b1 & 0x80) memcpy(w->mask, w->hdr + at, 4);
  if (w->opcode >= 0x8) {
    if (len > 125 || !(b0 & 0x80)) return protocol_error(w, "bad control frame");
    if (w->opcode != OP_CLOSE && w->opcode != OP_PING && w->opcode != OP_PONG) return protocol_error(w, "unknown opcode");
  } else if (w->opcode > OP_BINARY) {
    return protocol_error(w, "unknown opcode");
  }
  w->left = len;
  w->mask_pos = 0;
  w->ctl_len = 0;
  w->hdr_len = 0;
  return 1;
}

/* Frames in buf[0, n) -> their data payload, compacted to the front of buf; -1 on a protocol error. */
static ssize_t decode(rd_ws *w, int fd, uint8_t *buf, size_t n) {
  size_t in = 0, out = 0;
  while (in < n && !w->close_got) {
    if (!w->in_payload) {
      size_t used;
      int rc = take_header(w, buf + in, n - in, &used);
      in += used;
      if (rc < 0) return -1;
      if (rc == 0) break;
      w->in_payload = 1;
    }
    size_t k = w->left < n - in ? (size_t)w->left : n - in;
    static const uint8_t zero[4] = { 0 };
    const uint8_t *mask = w->server ? w->mask : zero; /* only clients mask (take_header checked) */
    if (w->opcode < 0x8) {
      unmask(buf + out, buf + in, k, mask, &w->mask_pos);
      out += k;
    } else {
      unmask(w->ctl + w->ctl_len, buf + in, k, mask, &w->mask_pos);
      w->ctl_len += (uint8_t)k;
    }
    in += k;
    w->left -= k;
    if (w->left == 0) {
      w->in_payload = 0;
      if (w->opcode >= 0x8) on_control(w, fd);
    }
  }
  return (ssize_t)out;
}

static ssize_t ws_read(rd_layer *l, int fd, void *vbuf, size_t cap) {
  rd_ws *w = (rd_ws *)l;
  uint8_t *buf = vbuf;
  for (;;) {
    if (w->eof || w->close_got) {
      w->eof = 1;
      return 0;
    }
    size_t n;
    if (w->pre) {
      n = w->pre_len - w->pre_off < cap ? w->pre_len - w->pre_off : cap;
      memcpy(buf, w->pre + w->pre_off, n);
      w->pre_off += n;
      if (w->pre_off == w->pre_len) {
        free(w->pre);
        w->pre = NULL;
      }
    } else {
      ssize_t r = recv(fd, buf, cap, MSG_DONTWAIT);
      if (r < 0) return -1;
      if (r == 0) {
        w->eof = 1; /* TCP ended without a close frame: the stream ends as well */
        return 0;
      }
      n = (size_t)r;
    }
    ssize_t out = decode(w, fd, buf, n);
    if (out != 0) return out; /* data, or -1 */
  }
}

static ssize_t ws_write(rd_layer *l, int fd, const void *buf, size_t len) {
  rd_ws *w = (rd_ws *)l;
  if (flush(w, fd) < 0) return -1;
  if (w->tx_payload) {
    /* The frame of an earlier call went out: those bytes are done. */
    size_t k = w->tx_payload;
    w->tx_payload = 0;
    return (ssize_t)k;
  }
  if (w->close_sent) {
    errno = EPIPE;
    return -1;
  }
  size_t k = len < FRAME_MAX ? len : FRAME_MAX;
  if (frame(w, OP_BINARY, buf, k) < 0) {
    errno = ENOMEM;
    return -1;
  }
  if (flush(w, fd) < 0) {
    if (errno == EAGAIN) w->tx_payload = k; /* taken once the frame is out: the caller asks again */
    return -1;
  }
  return (ssize_t)k;
}

static int ws_shutdown(rd_layer *l, int fd) {
  rd_ws *w = (rd_ws *)l;
  /* No half-close in WebSocket. The server says goodbye with a close frame and waits for the
     client's; the client just stops sending and lets the server close (as the JS transports do). */
  if (w->server) send_close(w, fd, 1000);
  return 0;
}

static void ws_free(rd_layer *l) {
  rd_ws *w = (rd_ws *)l;
  free(w->request);
  free(w->head);
  free(w->pre);
  free(w->tx);
  free(w);
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

static int client_handshake(rd_layer *l, int fd) {
  rd_ws *w = (rd_ws *)l;
  while (w->req_off < w->req_len) {
    ssize_t n = send(fd, w->request + w->req_off, w->req_len - w->req_off, MSG_DONTWAIT | MSG_NOSIGNAL);
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
    ssize_t n = recv(fd, w->head + w->head_len, HEAD_MAX - w->head_len, MSG_DONTWAIT);
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

static int no_handshake(rd_layer *l, int fd) { return 1; }

static const rd_layer_ops server_ops = { no_handshake, ws_read, ws_write, ws_shutdown, ws_free };
static const rd_layer_ops client_ops = { client_handshake, ws_read, ws_write, ws_shutdown, ws_free };

static rd_ws *ws_new(int server) {
  rd_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->server = server;
  w->base.ops = server ? &server_ops : &client_ops;
  if (getrandom(&w->rng, sizeof w->rng, GRND_NONBLOCK) != sizeof w->rng || w->rng == 0) w->rng = (uint64_t)(uintptr_t)w ^ 0x9e3779b97f4a7c15ULL;
  return w;
}

rd_layer *rd_ws_server_layer(const uint8_t *pre, size_t pre_len) {
  rd_ws *w = ws_new(1);
  if (!w) return NULL;
  if (pre_len > 0) {
    if (!(w->pre = malloc(pre_len))) {
      free(w);
      return NULL;
    }
    memcpy(w->pre, pre, pre_len);
    w->pre_len = pre_len;
  }
  return &w->base;
}

rd_layer *rd_ws_client_layer(const char *path, const char *host_header) {
  rd_ws *w = ws_new(0);
  if (!w) return NULL;
  uint8_t nonce[16];
  for (int i = 0; i < 4; i++) {
    uint32_t m = next_mask(w);
    memcpy(nonce + 4 * i, &m, 4);
  }
  char key[25];
  rd_base64(nonce, 16, key);
  rd_ws_accept_key(key, 24, w->accept);
  int n = asprintf(&w->request, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, host_header, key);
  w->head = malloc(HEAD_MAX);
  if (n < 0 || !w->head) {
    if (n < 0) w->request = NULL;
    ws_free(&w->base);
    return NULL;
  }
  w->req_len = (size_t)n;
  return &w->base;
}
