/* WebSocket frames for native fronts (see ws.h): masking, framing, ping, close; the layers. */
#define _GNU_SOURCE
#include "ws-internal.h"

#include "sha1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void take_under_why(rd_ws *w) {
  if (w->under && w->under->why[0] && errno != EAGAIN && errno != EINTR) {
    snprintf(w->base.why, sizeof w->base.why, "TLS: %.150s", w->under->why);
  }
}

ssize_t rd_ws_io_read(rd_ws *w, int fd, void *buf, size_t cap) {
  if (!w->under) return recv(fd, buf, cap, MSG_DONTWAIT);
  ssize_t n = w->under->ops->read(w->under, fd, buf, cap);
  if (n < 0) take_under_why(w);
  return n;
}

ssize_t rd_ws_io_write(rd_ws *w, int fd, const void *buf, size_t len) {
  if (!w->under) return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  ssize_t n = w->under->ops->write(w->under, fd, buf, len);
  if (n < 0) take_under_why(w);
  return n;
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
    ssize_t n = rd_ws_io_write(w, fd, w->tx + w->tx_off, w->tx_len - w->tx_off);
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
      ssize_t r = rd_ws_io_read(w, fd, buf, cap);
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
  if (w->under) w->under->ops->free(w->under);
  free(w->request);
  free(w->head);
  free(w->pre);
  free(w->tx);
  free(w);
}

static int no_handshake(rd_layer *l, int fd) { return 1; }

static const rd_layer_ops server_ops = { no_handshake, ws_read, ws_write, ws_shutdown, ws_free };
static const rd_layer_ops client_ops = { rd_ws_client_handshake, ws_read, ws_write, ws_shutdown, ws_free };

static rd_ws *ws_new(int server) {
  rd_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->server = server;
  w->base.ops = server ? &server_ops : &client_ops;
  if (getrandom(&w->rng, sizeof w->rng, GRND_NONBLOCK) != sizeof w->rng || w->rng == 0) w->rng = (uint64_t)(uintptr_t)w ^ 0x9e3779b97f4a7c15ULL;
  return w;
}

rd_layer *rd_ws_server_layer(const uint8_t *pre, size_t pre_len, rd_layer *under) {
  rd_ws *w = ws_new(1);
  if (!w) return NULL;
  w->under = under;
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

rd_layer *rd_ws_client_layer(const char *path, const char *host_header, rd_layer *under) {
  rd_ws *w = ws_new(0);
  if (!w) return NULL;
  w->under = under;
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
