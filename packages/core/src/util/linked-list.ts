/** An entry of a bounded map, linked into one list (recency or expiry order). */
export interface Link<K, V> {
  key: K
  value: V
  expiresAt: number
  prev: Link<K, V> | undefined
  next: Link<K, V> | undefined
  list: LinkedList<K, V> | undefined
}

export function link<K, V>(key: K, value: V, expiresAt: number): Link<K, V> {
  return { key, value, expiresAt, prev: undefined, next: undefined, list: undefined }
}

/** An intrusive doubly linked list: O(1) append, unlink and read of the oldest entry. */
export class LinkedList<K, V> {
  head: Link<K, V> | undefined
  private tail: Link<K, V> | undefined

  push(node: Link<K, V>): void {
    node.list = this
    node.prev = this.tail
    node.next = undefined
    if (this.tail) this.tail.next = node
    else this.head = node
    this.tail = node
  }

  unlink(node: Link<K, V>): void {
    if (node.list !== this) return
    if (node.prev) node.prev.next = node.next
    else this.head = node.next
    if (node.next) node.next.prev = node.prev
    else this.tail = node.prev
    node.prev = node.next = node.list = undefined
  }

  /** Moves a node to the young end. */
  renew(node: Link<K, V>): void {
    if (this.tail === node) return
    this.unlink(node)
    this.push(node)
  }

  clear(): void {
    this.head = this.tail = undefined
  }
}
