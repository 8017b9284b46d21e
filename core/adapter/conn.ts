/** Where a client wants to go: a domain name or an IP literal (IPv6 without brackets). */
export interface Destination {
  host: string;
  port: number;
}

/** What is known about a connection when it is routed. Built by the inbound. */
export interface ConnMeta {
  /** Unique per engine run; used by listConnections/closeConnection. */
  id: string;
  instanceId: string;
  /** The inbound protocol: "socks5", "http", ... */
  inbound: string;
  network: 'tcp' | 'udp';
  source: { address: string; port: number };
  destination: Destination;
  /** The authenticated user, if the inbound authenticates. */
  user: string | null;
}
