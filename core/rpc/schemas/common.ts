import { z } from 'zod';

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/;

/** Splits "host:port" / "[v6]:port"; null when malformed or the port is out of range. */
export function parseHostPort(value: string): { host: string; port: number } | null {
  const m = HOST_PORT.exec(value);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}

/** Joins host and port, bracketing IPv6 literals. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "host:port" where host is a name, IPv4 or bracketed IPv6 and port 0..65535. */
export const HostPort = z.string().refine((v) => parseHostPort(v) !== null, {
  message: 'expected host:port',
});

export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'expected an id of letters, digits, _ . : -');
export const IdInput = z.object({ id: Id });

/** Milliseconds since the Unix epoch. */
export const Millis = z.number().int().nonnegative();

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof LogLevel>;
