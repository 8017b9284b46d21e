// Imported first by js-front.test.ts: the VLESS relay suites run again with the JS front (the
// native splice relay stays on), so both ways of accepting plain TCP stay covered.
process.env.RELAYDESK_NATIVE_FRONT = '0';
