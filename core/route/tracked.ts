import type { TrackedConn } from '../adapter';
import type { ListNode } from './linked-list';

/** A TrackedConn of the relay's own making: it carries its place in the relay's list of open connections. */
export interface RelayTracked extends TrackedConn {
  /** Set by the relay while the connection is open. */
  relayNode: ListNode<RelayTracked> | null;
}
