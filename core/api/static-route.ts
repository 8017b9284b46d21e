import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StaticRouteOptions {
  /** The built dashboard (vite's output): index.html and assets/. */
  root: string;
}

/** Paths that belong to APIs: a miss there is a JSON 404, never the dashboard page. */
const API_PREFIXES = ['/api', '/v1', '/rpc', '/healthz', '/openapi.json', '/docs'];

/** Content-Security-Policy of the dashboard: own scripts only, RPC over ws(s) to anywhere the user points it. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // ECharts and Vue set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the dashboard's files from `root` with security headers. A miss goes to the server's
 * not-found handler, which answers page paths (client-side routes like /instances/abc) with
 * `sendIndex` and everything else with a JSON 404.
 */
export const staticRoute: FastifyPluginAsync<StaticRouteOptions> = async (app, { root }) => {
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    index: 'index.html',
    dotfiles: 'ignore',
    setHeaders: setSecurityHeaders,
  });
};

/** Answers with the dashboard's index.html (read per request: it is small and may be rebuilt). */
export async function sendIndex(reply: FastifyReply, root: string): Promise<FastifyReply> {
  const html = await readFile(join(root, 'index.html'));
  setSecurityHeaders({ setHeader: (name, value) => reply.header(name, value) });
  return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
}

/** A client-side route of the dashboard: not an API path, last segment without an extension. */
export function isPagePath(path: string): boolean {
  if (API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

function setSecurityHeaders(res: { setHeader(name: string, value: string): unknown }): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-security-policy', DASHBOARD_CSP);
  // The dashboard URL carries the token in its query: never leak it in Referer.
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}
