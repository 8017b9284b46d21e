import { ApiFail } from './envelope';

/** What a request path names. */
export type UsersRoute =
  | { kind: 'health' }
  | { kind: 'users' }
  | { kind: 'user'; name: string }
  | { kind: 'action'; name: string; action: 'rotate-secret' | 'enable' | 'disable' | 'reset-quota' }
  | { kind: 'summary' }
  | { kind: 'activeIps' };

const ACTIONS = new Set(['rotate-secret', 'enable', 'disable', 'reset-quota']);

/**
 * Matches method and path (query ignored, a trailing slash trimmed) as telemt does: unknown path
 * → 404; known path, other method → 405 with Allow. `POST /v1/users/{u}` is a 404 in telemt.
 */
export function matchRoute(method: string, rawPath: string): UsersRoute {
  let path = rawPath;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const notFound = new ApiFail(404, 'not_found', `${method} ${path} not found`);
  const only = (allow: string[], route: UsersRoute): UsersRoute => {
    if (allow.includes(method)) return route;
    throw new ApiFail(405, 'method_not_allowed', `${method} is not allowed on ${path}`, allow.join(', '));
  };
  switch (path) {
    case '/v1/health': return only(['GET'], { kind: 'health' });
    case '/v1/users': return only(['GET', 'POST'], { kind: 'users' });
    case '/v1/stats/users': return only(['GET'], { kind: 'users' });
    case '/v1/stats/summary': return only(['GET'], { kind: 'summary' });
    case '/v1/stats/users/active-ips': return only(['GET'], { kind: 'activeIps' });
  }
  const m = /^\/v1\/users\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) throw notFound;
  let name: string;
  try {
    name = decodeURIComponent(m[1]);
  } catch {
    throw notFound;
  }
  if (m[2] === undefined) {
    if (method === 'POST') throw notFound;
    return only(['GET', 'PATCH', 'DELETE'], { kind: 'user', name });
  }
  if (!ACTIONS.has(m[2])) throw notFound;
  return only(['POST'], { kind: 'action', name, action: m[2] as 'enable' });
}

/** Whether a route changes state (read-only mode, body, If-Match). */
export function isMutating(method: string): boolean {
  return method !== 'GET';
}
