import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's v2ray 4.34 (PROTOCOLS.md §5.5, §6). */
export const V2RAY_BIN = '/usr/bin/v2ray';
/** The user every generated inbound accepts (the reference interop config's id). */
export const V2RAY_UUID = '12345678-1234-1234-1234-123456789abc';

/** Ports of the VLESS inbounds of one v2ray process, all on 127.0.0.1. */
export interface V2rayPorts {
  /** VLESS over plain TCP. */
  tcp: number;
  /** VLESS over TLS (the mixed-tls fixture certificate: CN=localhost, SAN localhost/127.0.0.1/::1). */
  tls: number;
  /** VLESS over WebSocket on path WS_PATH, plaintext. */
  ws: number;
  /** VLESS over WebSocket over TLS, path WS_PATH. */
  wss: number;
}

export const V2RAY_WS_PATH = '/vless-ws';

export interface V2ray {
  ports: V2rayPorts;
  /** What v2ray printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Kills the process (SIGTERM, then SIGKILL after 2 s) and removes the temp dir. */
  close(): Promise<void>;
}

export interface V2rayOptions {
  /** Accepted user ids. @default [V2RAY_UUID] */
  uuids?: string[];
  /** PEM files for the TLS inbounds. @default the mixed-tls fixtures */
  certFile?: string;
  keyFile?: string;
}

/**
 * Starts v2ray with VLESS inbounds (tcp, tls, ws, ws+tls) on free loopback ports, all routed to
 * a freedom outbound, and resolves once every inbound accepts connections (at most 10 s).
 */
export async function startV2ray(opts: V2rayOptions = {}): Promise<V2ray> {
  const ports: V2rayPorts = { tcp: await freePort(), tls: await freePort(), ws: await freePort(), wss: await freePort() };
  const run = await runV2ray(v2rayConfig(ports, opts), Object.values(ports), 'relaydesk-v2ray-');
  return { ports, ...run };
}

/**
 * Runs v2ray with `config` (written to a temp dir) and resolves once every port in `ports` accepts
 * connections (at most `timeoutMs`); close() stops it and removes the dir. Rejects with v2ray's
 * output when it exits or does not listen in time.
 */
export async function runV2ray(config: object, ports: number[], dirPrefix: string, timeoutMs = 10_000): Promise<{ output(): string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = spawn(V2RAY_BIN, ['-config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    if (out.length < 64 * 1024) out += b.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const close = async () => {
    await stop(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitListening(ports, child, () => out, timeoutMs);
  } catch (err) {
    await close();
    throw err;
  }
  return { output: () => out, close };
}

function v2rayConfig(ports: V2rayPorts, opts: V2rayOptions): object {
  const clients = (opts.uuids ?? [V2RAY_UUID]).map((id, i) => ({ id, email: `u${i}@test` }));
  const certificates = [{ certificateFile: opts.certFile ?? fixturePath('mixed-tls-cert.pem'), keyFile: opts.keyFile ?? fixturePath('mixed-tls-key.pem') }];
  const vless = (tag: string, port: number, streamSettings: object) => ({
    tag, listen: '127.0.0.1', port, protocol: 'vless', settings: { clients, decryption: 'none' }, streamSettings,
  });
  return {
    log: { loglevel: 'warning' },
    inbounds: [
      vless('vless-tcp', ports.tcp, { network: 'tcp' }),
      vless('vless-tls', ports.tls, { network: 'tcp', security: 'tls', tlsSettings: { certificates } }),
      vless('vless-ws', ports.ws, { network: 'ws', wsSettings: { path: V2RAY_WS_PATH } }),
      vless('vless-wss', ports.wss, { network: 'ws', wsSettings: { path: V2RAY_WS_PATH }, security: 'tls', tlsSettings: { certificates } }),
    ],
    outbounds: [{ tag: 'direct', protocol: 'freedom' }],
  };
}

function fixturePath(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).pathname;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitListening(ports: number[], child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`v2ray exited (${child.exitCode ?? child.signalCode}): ${output()}`);
      if (await accepts(port)) break;
      if (Date.now() > deadline) throw new Error(`v2ray did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 2000)))]);
  clearTimeout(timer);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}
