/*
 * Session tickets of a BoringSSL server context (the OpenSSL build does this in tls-ctx.c's
 * on_ticket): AES-128-CBC and HMAC-SHA256 under keys made here, as BoringSSL's own default. Doing
 * it here lets a resumed client keep the ticket it has (reused until it expires, as Go's client
 * does) instead of being sent a new one on every connection: a ticket to encrypt, a record to write
 * and a session to decode on the other side, each time, for nothing. The keys rotate every two
 * days, as BoringSSL's default keys do; a ticket under the previous key still resumes, and gets
 * a new one.
 */
#define _GNU_SOURCE
#include "tls-internal.h"

#include <string.h>

#define ROTATE_SECONDS (2 * 24 * 60 * 60)

static int make_key(rd_ticket_key *k, time_t now) {
  if (RAND_bytes(k->name, sizeof k->name) != 1 || RAND_bytes(k->aes, sizeof k->aes) != 1 ||
      RAND_bytes(k->hmac, sizeof k->hmac) != 1) {
    return 0;
  }
  k->made = now;
  return 1;
}

/* BoringSSL's ticket callback (SSL_CTX_set_tlsext_ticket_key_cb): encrypt 1 on success, -1 on
   error; decrypt 1 (or 2: renew) when the ticket is ours, 0 when it is not, -1 on error. */
static int on_ticket_key(SSL *ssl, uint8_t *name, uint8_t *iv, EVP_CIPHER_CTX *cipher, HMAC_CTX *hmac, int encrypt) {
  rd_tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
  rd_ticket_keys *t = &c->tickets;
  time_t now = time(NULL);
  pthread_mutex_lock(&t->lock);
  if (now - t->keys[0].made >= ROTATE_SECONDS) {
    rd_ticket_key next;
    if (make_key(&next, now)) {
      t->keys[1] = t->keys[0];
      t->keys[0] = next;
    }
    OPENSSL_cleanse(&next, sizeof next);
  }
  const rd_ticket_key *k = NULL;
  int rc;
  if (encrypt) {
    k = &t->keys[0];
    memcpy(name, k->name, sizeof k->name);
    rc = RAND_bytes(iv, 16) == 1 ? 1 : -1;
  } else {
    for (int i = 0; i < 2 && k == NULL; i++) {
      if (t->keys[i].made != 0 && CRYPTO_memcmp(name, t->keys[i].name, sizeof t->keys[i].name) == 0) k = &t->keys[i];
    }
    rc = k == NULL ? 0 : k == &t->keys[0] ? 1 : 2;
  }
  if (rc > 0) {
    int ok = HMAC_Init_ex(hmac, k->hmac, sizeof k->hmac, EVP_sha256(), NULL) == 1 &&
             (encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_128_cbc(), NULL, k->aes, iv)
                      : EVP_DecryptInit_ex(cipher, EVP_aes_128_cbc(), NULL, k->aes, iv)) == 1;
    if (!ok) rc = -1;
  }
  pthread_mutex_unlock(&t->lock);
  /* A current ticket opened: the client resumes and keeps it. Checked by BoringSSL before it calls
     this for the ticket, and again before it sends new ones, so only the sending is skipped. */
  if (rc == 1 && !encrypt) SSL_set_options(ssl, SSL_OP_NO_TICKET);
  return rc;
}

void rd_bssl_tickets_init(rd_tls_ctx *c) { pthread_mutex_init(&c->tickets.lock, NULL); }

int rd_bssl_tickets_use(rd_tls_ctx *c) {
  if (!make_key(&c->tickets.keys[0], time(NULL))) return 0;
  SSL_CTX_set_tlsext_ticket_key_cb(c->ctx, on_ticket_key);
  return 1;
}

void rd_bssl_tickets_free(rd_tls_ctx *c) {
  OPENSSL_cleanse(c->tickets.keys, sizeof c->tickets.keys);
  pthread_mutex_destroy(&c->tickets.lock);
}
