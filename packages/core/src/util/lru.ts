import { type Link, LinkedList, link } from './linked-list'

/**
 * A Map with a size cap (the least recently used entry goes first) and optional per-entry
 * expiry, for state that may be dropped early: cache entries, metrics, bookkeeping. Every
 * operation is O(1), however full the map is. State that must outlive the cap — live rate-limit
 * windows, budget periods — goes in an `ExpiringMap` instead.
 */
export class BoundedMap<K, V> {
  private readonly index = new Map<K, Link<K, V>>()
  private readonly recency = new LinkedList<K, V>()

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.index.size
  }

  get(key: K): V | undefined {
    const node = this.index.get(key)
    if (!node) return undefined
    if (node.expiresAt <= this.now()) {
      this.remove(node)
      return undefined
    }
    this.recency.renew(node)
    return node.value
  }

  /** ttlMs of Infinity (the default) means no expiry; the size cap still applies. */
  set(key: K, value: V, ttlMs = Number.POSITIVE_INFINITY): void {
    const expiresAt = this.now() + ttlMs
    const node = this.index.get(key)
    if (node) {
      node.value = value
      node.expiresAt = expiresAt
      this.recency.renew(node)
      return
    }
    while (this.index.size >= this.maxEntries && this.recency.head) this.remove(this.recency.head)
    const fresh = link(key, value, expiresAt)
    this.index.set(key, fresh)
    this.recency.push(fresh)
  }

  delete(key: K): boolean {
    const node = this.index.get(key)
    if (!node) return false
    this.remove(node)
    return true
  }

  clear(): void {
    this.index.clear()
    this.recency.clear()
  }

  /** Live entries, without touching recency. */
  *entries(): IterableIterator<[K, V]> {
    const now = this.now()
    for (const [key, node] of this.index) {
      if (node.expiresAt > now) yield [key, node.value]
    }
  }

  private remove(node: Link<K, V>): void {
    this.index.delete(node.key)
    this.recency.unlink(node)
  }
}
