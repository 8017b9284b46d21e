/** A place in a LinkedList; hold on to it to remove the value in O(1). */
export interface ListNode<T> {
  readonly value: T;
  prev: ListNode<T> | null;
  next: ListNode<T> | null;
  /** False once removed. */
  linked: boolean;
}

/**
 * A doubly linked list for per-connection registries (live sockets, relayed connections, idle
 * timeouts). Why not a Set or Map: when V8 rehashes a hash table it keeps the obsolete table,
 * entries included, until the next full GC. A long-lived Set with connections coming and going
 * rehashes often, and each obsolete table keeps the connections it held reachable from old space,
 * so their whole object graphs survive scavenges and get promoted: measurably more GC per
 * connection. Removed nodes here drop their links at once.
 */
export class LinkedList<T> implements Iterable<T> {
  private head: ListNode<T> | null = null;
  private tail: ListNode<T> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends `value`; the node removes it again. */
  add(value: T): ListNode<T> {
    const node: ListNode<T> = { value, prev: this.tail, next: null, linked: true };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count++;
    return node;
  }

  /** Removes the node's value; false when it was removed already. */
  remove(node: ListNode<T>): boolean {
    if (!node.linked) return false;
    node.linked = false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
    this.count--;
    return true;
  }

  /** The values in insertion order; removing the current value while iterating is safe. */
  *[Symbol.iterator](): Iterator<T> {
    let node = this.head;
    while (node) {
      const next = node.next;
      yield node.value;
      node = next;
    }
  }

  /** A copy of the values, for loops that may remove other values too. */
  toArray(): T[] {
    const out: T[] = [];
    for (let node = this.head; node; node = node.next) out.push(node.value);
    return out;
  }
}
