import type { Logger } from '../log/logger';
import type { Router } from './router';
import type { StatsAccounting, StatsSink } from './stats';
import type { Relay } from './relay';

/** Anything long-lived: whoever creates it calls close(). */
export interface Lifecycle {
  start(): Promise<void>;
  /** Stops accepting, closes every socket and timer it owns. Idempotent. */
  close(): Promise<void>;
}

/** What the engine hands an inbound (or any instance runner) when it builds one. */
export interface InstanceContext {
  instanceId: string;
  router: Router;
  relay: Relay;
  stats: StatsSink;
  log: Logger;
  /** Fresh connection id (unique per engine run). */
  nextConnId(): string;
  /** The collector's accounting side (per-user counters, monitor figures); absent outside an engine. */
  accounting?: StatsAccounting;
  /** Pool figures summed over the engine's running tunnels (for pool views such as the VLESS monitor's); absent outside an engine. */
  tunnelPools?(): TunnelPoolFigures;
}

/** Pre-dialed tunnel connections: established, taken from the pool, ready now, requests served or not by a ready one. */
export interface TunnelPoolFigures {
  created: number;
  reused: number;
  idle: number;
  hits: number;
  misses: number;
}

/** A running instance: an inbound, a tunnel end, ... Built by a factory in engine/builtin.ts. */
export interface InstanceRunner extends Lifecycle {
  /** The bound address once started ("127.0.0.1:7890"), for port 0 and for the UI. */
  address(): string | null;
}

export type InstanceFactory<S> = (spec: S, ctx: InstanceContext) => InstanceRunner;
