// Imported first by js-tls.test.ts: the VLESS relay suites run again with native fronts but TLS
// left to JS, as in Electron (whose BoringSSL the addon cannot use).
process.env.RELAYDESK_NATIVE_TLS = '0';
