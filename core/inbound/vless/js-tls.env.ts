// Imported first by js-tls.test.ts: the VLESS relay suites run again with native fronts but TLS
// left to JS, as where the addon finds no TLS library (Electron without BoringSSL installed).
process.env.RELAYDESK_NATIVE_TLS = '0';
