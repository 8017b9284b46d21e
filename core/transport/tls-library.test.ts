// Which TLS library the native fronts run on (core/native/src/tls-backend.c), and how the choice
// is made and explained. The suites under core/inbound/vless run the native TLS itself, on the
// library chosen here; openssl-tls.test.ts runs them again on Node's OpenSSL.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { frontAddon } from '../route/splice';

const root = fileURLToPath(new URL('../..', import.meta.url));
const addonPath = join(root, 'core/native/build/Release/relaydesk_splice.node');
const bsslObjects = join(root, 'core/native/build/Release/obj.target/relaydesk_bssl/src');
const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
/** Debian's android-libboringssl, where the addon looks by default. */
const boringssl = `/usr/lib/${multiarch}/android/libssl.so.0`;

/** tlsLibrary and tlsUnavailableReason of the addon loaded in a fresh process with `env`. */
function probe(env: Record<string, string>): { library: string | null; reason: string | null } {
  const script = `const a = require(${JSON.stringify(addonPath)}); console.log(JSON.stringify({ library: a.tlsLibrary, reason: a.tlsUnavailableReason }))`;
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { library: string | null; reason: string | null };
}

describe.skipIf(process.platform !== 'linux' || frontAddon() === null)('native TLS library', () => {
  it('runs on BoringSSL where it is installed (CI installs it), else on the OpenSSL Node exports', () => {
    if (process.env.CI) expect(existsSync(boringssl), `${boringssl} (apt-get install android-libboringssl-dev)`).toBe(true);
    expect(frontAddon()!.tlsLibrary).toBe(existsSync(boringssl) ? 'BoringSSL' : 'OpenSSL');
    expect(probe({ RELAYDESK_TLS_LIB: 'openssl' })).toEqual({ library: 'OpenSSL', reason: null });
  });

  it('says why there is no native TLS when the library asked for cannot be used', () => {
    expect(probe({ RELAYDESK_TLS_LIB: 'gnutls' })).toEqual({ library: null, reason: 'RELAYDESK_TLS_LIB=gnutls is neither openssl nor boringssl' });
    const missing = probe({ RELAYDESK_TLS_LIB: 'boringssl', RELAYDESK_BORINGSSL: '/nonexistent/libssl.so' });
    expect(missing.library).toBeNull();
    expect(missing.reason).toMatch(/^BoringSSL: \/nonexistent\/libssl\.so: cannot open shared object file/);
    // A library that is no BoringSSL (libc here) is refused before any of its symbols is used.
    const libc = `/lib/${multiarch}/libc.so.6`;
    expect(probe({ RELAYDESK_TLS_LIB: 'boringssl', RELAYDESK_BORINGSSL: libc })).toEqual({ library: null, reason: `BoringSSL: ${libc} is not BoringSSL` });
  });

  it.skipIf(!existsSync(bsslObjects))('calls BoringSSL only through its table: a direct call would bind to Node\'s OpenSSL', () => {
    const objects = readdirSync(bsslObjects).filter((f) => f.endsWith('.o'));
    expect(objects.sort()).toEqual(['bssl-bio.o', 'bssl-load.o', 'bssl-tickets.o', 'tls-boring.o', 'tls-ctx-boring.o']);
    for (const o of objects) {
      const nm = spawnSync('nm', ['-u', join(bsslObjects, o)], { encoding: 'utf8' });
      expect(nm.status, nm.stderr).toBe(0);
      const undefinedSymbols = nm.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()!).filter(Boolean);
      expect(undefinedSymbols.length).toBeGreaterThan(0);
      expect(undefinedSymbols.filter((s) => /^(SSL|TLS|X509|EVP|ERR|BIO|PEM|CRYPTO|OPENSSL|RAND|HMAC)_/.test(s)), o).toEqual([]);
    }
  });
});
