/*
 * The part of BoringSSL the native TLS calls, as a table of pointers filled at run time from the
 * library bssl-load.c loads (its headers come from android-libboringssl-dev, binding.gyp puts
 * them first on the include path of the relaydesk_bssl target only). The object files built with
 * it name no library symbol: a direct call would bind to the OpenSSL that Node exports under the
 * same names. Every call to a listed function goes through the table (the macros at the end);
 * a function missing here would stay an undefined symbol of the object, which
 * core/transport/tls-library.test.ts looks for with nm.
 */
#ifndef RELAYDESK_BSSL_H
#define RELAYDESK_BSSL_H

#include <openssl/cipher.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/is_boringssl.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define RD_BSSL_FUNCTIONS(X)                                                                      \
  X(BIO_clear_retry_flags) X(BIO_free) X(BIO_get_data) X(BIO_get_new_index) X(BIO_meth_new)       \
  X(BIO_meth_set_ctrl) X(BIO_meth_set_destroy) X(BIO_meth_set_read) X(BIO_meth_set_write)         \
  X(BIO_new) X(BIO_new_mem_buf) X(BIO_set_data) X(BIO_set_init) X(BIO_set_retry_read)             \
  X(BIO_set_retry_write) X(CRYPTO_memcmp) X(ERR_clear_error) X(ERR_peek_error)                    \
  X(ERR_peek_last_error) X(ERR_reason_error_string) X(EVP_DecryptInit_ex) X(EVP_EncryptInit_ex)   \
  X(EVP_PKEY_free) X(EVP_aes_128_cbc) X(EVP_sha256) X(HMAC_Init_ex) X(OPENSSL_cleanse)            \
  X(PEM_read_bio_PrivateKey) X(PEM_read_bio_X509) X(RAND_bytes) X(SSL_CTX_add_extra_chain_cert)   \
  X(SSL_CTX_check_private_key) X(SSL_CTX_free) X(SSL_CTX_get_cert_store) X(SSL_CTX_get_ex_data)   \
  X(SSL_CTX_new) X(SSL_CTX_sess_set_new_cb) X(SSL_CTX_set_alpn_protos)                            \
  X(SSL_CTX_set_alpn_select_cb) X(SSL_CTX_set_ex_data) X(SSL_CTX_set_min_proto_version)           \
  X(SSL_CTX_set_mode) X(SSL_CTX_set_num_tickets) X(SSL_CTX_set_session_cache_mode)                \
  X(SSL_CTX_set_tlsext_ticket_key_cb) X(SSL_CTX_set_verify) X(SSL_CTX_use_PrivateKey)             \
  X(SSL_CTX_use_certificate) X(SSL_SESSION_free) X(SSL_SESSION_is_resumable) X(SSL_do_handshake)  \
  X(SSL_free) X(SSL_get0_param) X(SSL_get_SSL_CTX) X(SSL_get_error) X(SSL_get_peer_certificate)   \
  X(SSL_get_verify_result) X(SSL_new) X(SSL_read) X(SSL_select_next_proto) X(SSL_session_reused)  \
  X(SSL_set1_host) X(SSL_set_accept_state) X(SSL_set_bio) X(SSL_set_connect_state)                \
  X(SSL_set_options) X(SSL_set_session) X(SSL_set_shutdown) X(SSL_set_tlsext_host_name)           \
  X(SSL_shutdown) X(SSL_write) X(TLS_client_method) X(TLS_server_method) X(X509_STORE_add_cert)   \
  X(X509_VERIFY_PARAM_set1_ip_asc) X(X509_digest) X(X509_free) X(X509_verify_cert_error_string)

#define RD_BSSL_FIELD(name) __typeof__(&name) name;
struct rd_bssl_table {
  RD_BSSL_FUNCTIONS(RD_BSSL_FIELD)
};
#undef RD_BSSL_FIELD

extern struct rd_bssl_table rd_bssl;

/* bssl-load.c fills the table; the other files call through it. The #undefs drop the headers'
   own compatibility macros (#define SSL_CTX_set_mode SSL_CTX_set_mode). */
#ifndef RD_BSSL_LOADER
#undef BIO_clear_retry_flags
#define BIO_clear_retry_flags rd_bssl.BIO_clear_retry_flags
#undef BIO_free
#define BIO_free rd_bssl.BIO_free
#undef BIO_get_data
#define BIO_get_data rd_bssl.BIO_get_data
#undef BIO_get_new_index
#define BIO_get_new_index rd_bssl.BIO_get_new_index
#undef BIO_meth_new
#define BIO_meth_new rd_bssl.BIO_meth_new
#undef BIO_meth_set_ctrl
#define BIO_meth_set_ctrl rd_bssl.BIO_meth_set_ctrl
#undef BIO_meth_set_destroy
#define BIO_meth_set_destroy rd_bssl.BIO_meth_set_destroy
#undef BIO_meth_set_read
#define BIO_meth_set_read rd_bssl.BIO_meth_set_read
#undef BIO_meth_set_write
#define BIO_meth_set_write rd_bssl.BIO_meth_set_write
#undef BIO_new
#define BIO_new rd_bssl.BIO_new
#undef BIO_new_mem_buf
#define BIO_new_mem_buf rd_bssl.BIO_new_mem_buf
#undef BIO_set_data
#define BIO_set_data rd_bssl.BIO_set_data
#undef BIO_set_init
#define BIO_set_init rd_bssl.BIO_set_init
#undef BIO_set_retry_read
#define BIO_set_retry_read rd_bssl.BIO_set_retry_read
#undef BIO_set_retry_write
#define BIO_set_retry_write rd_bssl.BIO_set_retry_write
#undef CRYPTO_memcmp
#define CRYPTO_memcmp rd_bssl.CRYPTO_memcmp
#undef ERR_clear_error
#define ERR_clear_error rd_bssl.ERR_clear_error
#undef ERR_peek_error
#define ERR_peek_error rd_bssl.ERR_peek_error
#undef ERR_peek_last_error
#define ERR_peek_last_error rd_bssl.ERR_peek_last_error
#undef ERR_reason_error_string
#define ERR_reason_error_string rd_bssl.ERR_reason_error_string
#undef EVP_DecryptInit_ex
#define EVP_DecryptInit_ex rd_bssl.EVP_DecryptInit_ex
#undef EVP_EncryptInit_ex
#define EVP_EncryptInit_ex rd_bssl.EVP_EncryptInit_ex
#undef EVP_PKEY_free
#define EVP_PKEY_free rd_bssl.EVP_PKEY_free
#undef EVP_aes_128_cbc
#define EVP_aes_128_cbc rd_bssl.EVP_aes_128_cbc
#undef EVP_sha256
#define EVP_sha256 rd_bssl.EVP_sha256
#undef HMAC_Init_ex
#define HMAC_Init_ex rd_bssl.HMAC_Init_ex
#undef OPENSSL_cleanse
#define OPENSSL_cleanse rd_bssl.OPENSSL_cleanse
#undef PEM_read_bio_PrivateKey
#define PEM_read_bio_PrivateKey rd_bssl.PEM_read_bio_PrivateKey
#undef PEM_read_bio_X509
#define PEM_read_bio_X509 rd_bssl.PEM_read_bio_X509
#undef RAND_bytes
#define RAND_bytes rd_bssl.RAND_bytes
#undef SSL_CTX_add_extra_chain_cert
#define SSL_CTX_add_extra_chain_cert rd_bssl.SSL_CTX_add_extra_chain_cert
#undef SSL_CTX_check_private_key
#define SSL_CTX_check_private_key rd_bssl.SSL_CTX_check_private_key
#undef SSL_CTX_free
#define SSL_CTX_free rd_bssl.SSL_CTX_free
#undef SSL_CTX_get_cert_store
#define SSL_CTX_get_cert_store rd_bssl.SSL_CTX_get_cert_store
#undef SSL_CTX_get_ex_data
#define SSL_CTX_get_ex_data rd_bssl.SSL_CTX_get_ex_data
#undef SSL_CTX_new
#define SSL_CTX_new rd_bssl.SSL_CTX_new
#undef SSL_CTX_sess_set_new_cb
#define SSL_CTX_sess_set_new_cb rd_bssl.SSL_CTX_sess_set_new_cb
#undef SSL_CTX_set_alpn_protos
#define SSL_CTX_set_alpn_protos rd_bssl.SSL_CTX_set_alpn_protos
#undef SSL_CTX_set_alpn_select_cb
#define SSL_CTX_set_alpn_select_cb rd_bssl.SSL_CTX_set_alpn_select_cb
#undef SSL_CTX_set_ex_data
#define SSL_CTX_set_ex_data rd_bssl.SSL_CTX_set_ex_data
#undef SSL_CTX_set_min_proto_version
#define SSL_CTX_set_min_proto_version rd_bssl.SSL_CTX_set_min_proto_version
#undef SSL_CTX_set_mode
#define SSL_CTX_set_mode rd_bssl.SSL_CTX_set_mode
#undef SSL_CTX_set_num_tickets
#define SSL_CTX_set_num_tickets rd_bssl.SSL_CTX_set_num_tickets
#undef SSL_CTX_set_session_cache_mode
#define SSL_CTX_set_session_cache_mode rd_bssl.SSL_CTX_set_session_cache_mode
#undef SSL_CTX_set_tlsext_ticket_key_cb
#define SSL_CTX_set_tlsext_ticket_key_cb rd_bssl.SSL_CTX_set_tlsext_ticket_key_cb
#undef SSL_CTX_set_verify
#define SSL_CTX_set_verify rd_bssl.SSL_CTX_set_verify
#undef SSL_CTX_use_PrivateKey
#define SSL_CTX_use_PrivateKey rd_bssl.SSL_CTX_use_PrivateKey
#undef SSL_CTX_use_certificate
#define SSL_CTX_use_certificate rd_bssl.SSL_CTX_use_certificate
#undef SSL_SESSION_free
#define SSL_SESSION_free rd_bssl.SSL_SESSION_free
#undef SSL_SESSION_is_resumable
#define SSL_SESSION_is_resumable rd_bssl.SSL_SESSION_is_resumable
#undef SSL_do_handshake
#define SSL_do_handshake rd_bssl.SSL_do_handshake
#undef SSL_free
#define SSL_free rd_bssl.SSL_free
#undef SSL_get0_param
#define SSL_get0_param rd_bssl.SSL_get0_param
#undef SSL_get_SSL_CTX
#define SSL_get_SSL_CTX rd_bssl.SSL_get_SSL_CTX
#undef SSL_get_error
#define SSL_get_error rd_bssl.SSL_get_error
#undef SSL_get_peer_certificate
#define SSL_get_peer_certificate rd_bssl.SSL_get_peer_certificate
#undef SSL_get_verify_result
#define SSL_get_verify_result rd_bssl.SSL_get_verify_result
#undef SSL_new
#define SSL_new rd_bssl.SSL_new
#undef SSL_read
#define SSL_read rd_bssl.SSL_read
#undef SSL_select_next_proto
#define SSL_select_next_proto rd_bssl.SSL_select_next_proto
#undef SSL_session_reused
#define SSL_session_reused rd_bssl.SSL_session_reused
#undef SSL_set1_host
#define SSL_set1_host rd_bssl.SSL_set1_host
#undef SSL_set_accept_state
#define SSL_set_accept_state rd_bssl.SSL_set_accept_state
#undef SSL_set_bio
#define SSL_set_bio rd_bssl.SSL_set_bio
#undef SSL_set_connect_state
#define SSL_set_connect_state rd_bssl.SSL_set_connect_state
#undef SSL_set_options
#define SSL_set_options rd_bssl.SSL_set_options
#undef SSL_set_session
#define SSL_set_session rd_bssl.SSL_set_session
#undef SSL_set_shutdown
#define SSL_set_shutdown rd_bssl.SSL_set_shutdown
#undef SSL_set_tlsext_host_name
#define SSL_set_tlsext_host_name rd_bssl.SSL_set_tlsext_host_name
#undef SSL_shutdown
#define SSL_shutdown rd_bssl.SSL_shutdown
#undef SSL_write
#define SSL_write rd_bssl.SSL_write
#undef TLS_client_method
#define TLS_client_method rd_bssl.TLS_client_method
#undef TLS_server_method
#define TLS_server_method rd_bssl.TLS_server_method
#undef X509_STORE_add_cert
#define X509_STORE_add_cert rd_bssl.X509_STORE_add_cert
#undef X509_VERIFY_PARAM_set1_ip_asc
#define X509_VERIFY_PARAM_set1_ip_asc rd_bssl.X509_VERIFY_PARAM_set1_ip_asc
#undef X509_digest
#define X509_digest rd_bssl.X509_digest
#undef X509_free
#define X509_free rd_bssl.X509_free
#undef X509_verify_cert_error_string
#define X509_verify_cert_error_string rd_bssl.X509_verify_cert_error_string
#endif

#endif
