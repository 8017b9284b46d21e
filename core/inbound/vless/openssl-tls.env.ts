// Imported first by openssl-tls.test.ts: the native TLS suites run again on the OpenSSL that Node
// exports, the library native TLS uses where BoringSSL is not installed.
process.env.RELAYDESK_TLS_LIB = 'openssl';
