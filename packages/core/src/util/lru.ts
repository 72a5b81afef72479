/**
 * A Map with a size cap (least recently used entries go first) and optional per-entry expiry.
 * Every in-process map in Sluice is one of these, so memory never grows with the number of users.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, { value: V; expiresAt: number }>()

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.map.size
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.now()) {
      this.map.delete(key)
      return undefined
    }
    // Re-insert to mark as most recently used.
    this.map.delete(key)
    this.map.set(key, entry)
    return entry.value
  }

  /** ttlMs of Infinity (the default) means no expiry; the size cap still applies. */
  set(key: K, value: V, ttlMs = Number.POSITIVE_INFINITY): void {
    this.map.delete(key)
    this.map.set(key, { value, expiresAt: this.now() + ttlMs })
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next()
      if (oldest.done) break
      this.map.delete(oldest.value)
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key)
  }

  clear(): void {
    this.map.clear()
  }

  /** Live entries, without touching recency. */
  *entries(): IterableIterator<[K, V]> {
    const now = this.now()
    for (const [key, entry] of this.map) {
      if (entry.expiresAt > now) yield [key, entry.value]
    }
  }
}
