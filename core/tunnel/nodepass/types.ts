import type { InstanceRunner } from '../../adapter';

/** Live figures of a tunnel instance, named as NodePass's instance fields. */
export interface TunnelMetrics {
  /** The run mode after auto-detection, as NodePass reports it: server 1 reverse / 2 forward; client 1 single-end / 2 dual-end (0 before start). */
  mode: number;
  /** Last control-channel ping round trip in ms (0 when none yet or single-end). */
  ping: number;
  /** Idle pool connections ready now (0 for single-end). */
  pool: number;
  /** TCP sessions open now. */
  tcps: number;
  /** UDP sessions open now. */
  udps: number;
  /** Bytes from the users toward the targets, TCP (see TunnelCounters for the native-splice gap). */
  tcprx: number;
  /** Bytes from the targets back to the users, TCP. */
  tcptx: number;
  /** Datagram bytes from the users toward the targets. */
  udprx: number;
  /** Datagram bytes from the targets back to the users. */
  udptx: number;
}

/** Pool figures (dual-end); all zero for single-end. */
export interface PoolStats {
  /** Pool connections established so far. */
  created: number;
  /** Sessions that took a ready connection from the pool (NodePass uses each once, so = hits). */
  reused: number;
  /** Ready connections now. */
  idle: number;
  /** Session requests served by a ready pool connection. */
  hits: number;
  /** Session requests that found no ready connection (and waited or failed). */
  misses: number;
}

/** A NodePass tunnel end: an InstanceRunner with live metrics and pool statistics. */
export interface NodePassRunner extends InstanceRunner {
  metrics(): TunnelMetrics;
  poolStats(): PoolStats;
}
