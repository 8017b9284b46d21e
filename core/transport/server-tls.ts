import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { generateSelfSigned, type SelfSignedCert } from '../common/self-signed';
import { CoreError } from '../rpc';

/** Where a TLS server's certificate comes from. */
export interface ServerTlsConfig {
  /** PEM certificate (chain) file; with keyFile. Absent: a generated self-signed certificate. */
  certFile?: string;
  /** PEM private key file; with certFile. */
  keyFile?: string;
  /** subjectAltName entries of the generated certificate. @default ["localhost"] */
  selfSignedNames?: string[];
  /** ALPN protocols offered, in order of preference; empty offers none. @default [] */
  alpn?: string[];
}

/** What a server gets: options for tls.createServer / https.createServer. */
export interface ServerTls {
  options: tls.TlsOptions;
  /** "files <cert>" or "self-signed for <names>", for the startup log line. */
  origin: string;
}

/**
 * Server TLS options from certificate files, or from a self-signed certificate generated once per
 * process for a given list of names (so restarting an instance keeps its fingerprint while the
 * process lives). Files that cannot be read, or a key that does not match its certificate, throw
 * E_CONFIG_INVALID naming the file.
 */
export async function loadServerTls(cfg: ServerTlsConfig): Promise<ServerTls> {
  const alpn = cfg.alpn && cfg.alpn.length > 0 ? { ALPNProtocols: cfg.alpn } : {};
  if (cfg.certFile !== undefined && cfg.keyFile !== undefined) {
    const [cert, key] = await Promise.all([readPem(cfg.certFile, 'certificate'), readPem(cfg.keyFile, 'private key')]);
    try {
      tls.createSecureContext({ cert, key });
    } catch (err) {
      throw new CoreError('E_CONFIG_INVALID', `TLS certificate ${cfg.certFile} and key ${cfg.keyFile} are not usable together: ${(err as Error).message}`, { cause: err });
    }
    return { options: { cert, key, ...alpn }, origin: `certificate ${cfg.certFile}` };
  }
  if (cfg.certFile !== undefined || cfg.keyFile !== undefined) {
    throw new CoreError('E_CONFIG_INVALID', 'TLS needs both certFile and keyFile (or neither, for a self-signed certificate)');
  }
  const names = cfg.selfSignedNames && cfg.selfSignedNames.length > 0 ? cfg.selfSignedNames : ['localhost'];
  const { cert, key } = selfSigned(names);
  return { options: { cert, key, ...alpn }, origin: `self-signed certificate for ${names.join(', ')}` };
}

const generated = new Map<string, SelfSignedCert>();

function selfSigned(names: string[]): SelfSignedCert {
  const id = names.join('\n');
  let c = generated.get(id);
  if (!c) generated.set(id, (c = generateSelfSigned({ names })));
  return c;
}

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CoreError('E_CONFIG_INVALID', `cannot read TLS ${what} ${file}: ${code ?? (err as Error).message}`, { cause: err });
  }
}
