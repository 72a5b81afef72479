interface Entry<V> {
  value: V
  expiresAt: number
  tick: number
}

/**
 * A Map with a size cap (least recently used entries go first) and optional per-entry expiry.
 * Every in-process map in Sluice is one of these, so memory never grows with the number of users.
 *
 * Recency is tracked lazily: an entry is moved to the young end only when it has aged by a
 * quarter of the cap since its last move, so hot keys cost one Map lookup, not a delete and a set.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, Entry<V>>()
  private tick = 0
  private readonly refreshAfter: number

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.refreshAfter = Math.max(1, Math.floor(maxEntries / 4))
  }

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
    this.touch(key, entry)
    return entry.value
  }

  /** ttlMs of Infinity (the default) means no expiry; the size cap still applies. */
  set(key: K, value: V, ttlMs = Number.POSITIVE_INFINITY): void {
    const expiresAt = this.now() + ttlMs
    const entry = this.map.get(key)
    if (entry) {
      entry.value = value
      entry.expiresAt = expiresAt
      this.touch(key, entry)
      return
    }
    this.map.set(key, { value, expiresAt, tick: ++this.tick })
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

  private touch(key: K, entry: Entry<V>): void {
    if (this.tick - entry.tick < this.refreshAfter) return
    entry.tick = ++this.tick
    this.map.delete(key)
    this.map.set(key, entry)
  }
}
