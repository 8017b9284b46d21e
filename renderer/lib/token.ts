/** What `takeToken` found: the token to use and, when the URL carried one, the URL without it. */
export interface TokenLookup {
  token: string | null;
  /** The same URL with the `token` query parameter removed; null when there was none. */
  cleanedUrl: string | null;
}

/**
 * Reads the dashboard token from `href`'s query (`?token=…`), falling back to `stored` (the
 * session's copy). The token is removed from the returned URL so it does not linger in the
 * address bar or history.
 */
export function takeToken(href: string, stored: string | null): TokenLookup {
  const url = new URL(href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl === null) return { token: stored || null, cleanedUrl: null };
  url.searchParams.delete('token');
  return { token: fromUrl || stored || null, cleanedUrl: url.toString() };
}

/** The /rpc WebSocket URL for a page served at `location` by `relaydesk serve`. */
export function rpcSocketUrl(location: { protocol: string; host: string }, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/rpc?token=${encodeURIComponent(token)}`;
}
