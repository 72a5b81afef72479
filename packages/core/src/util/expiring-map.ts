import { SluiceError } from '../errors/sluice-error'
import { type Link, LinkedList, link } from './linked-list'

const MAX_LANES = 32

/**
 * A bounded Map for state that must not be forgotten while it is live: rate-limit windows and
 * budget periods. When it is full, an entry that has expired makes room; an entry still in force
 * is never dropped. If every slot holds live state, a new key is refused with
 * `store_unavailable` (reason `memory_full`), so the caller's failure policy applies, instead of
 * quietly resetting someone's window.
 *
 * Entries are kept in lanes by TTL; within a lane, expiry follows write order, so the oldest
 * entry of each lane is the next to expire and finding room is O(lanes), never O(entries).
 */
export class ExpiringMap<K, V> {
  private readonly index = new Map<K, Link<K, V>>()
  private readonly lanes = new Map<number, LinkedList<K, V>>()
  // One error for every refusal: a full map is refused per call, and a fresh stack each time
  // would cost more than the call itself.
  private readonly full: SluiceError

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.full = new SluiceError(
      'store_unavailable',
      `memory store: all ${maxEntries} slots hold live state; raise maxKeys`,
      {
        retryable: true,
        details: { reason: 'memory_full', maxKeys: maxEntries },
      },
    )
  }

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
    return node.value
  }

  /** Stores `value` for at least `ttlMs`; throws `store_unavailable` when full of live state. */
  set(key: K, value: V, ttlMs: number): void {
    const now = this.now()
    const lane = this.laneFor(ttlMs)
    const node = this.index.get(key)
    if (node) {
      node.value = value
      node.expiresAt = now + lane.ttl
      if (node.list === lane.list) lane.list.renew(node)
      else {
        node.list?.unlink(node)
        lane.list.push(node)
      }
      return
    }
    if (this.index.size >= this.maxEntries && !this.dropExpired(now)) throw this.full
    const fresh = link(key, value, now + lane.ttl)
    this.index.set(key, fresh)
    lane.list.push(fresh)
  }

  /** Stores every entry, or none: throws `store_unavailable` before writing when they do not fit. */
  setAll(entries: readonly { key: K; value: V; ttlMs: number }[]): void {
    const now = this.now()
    let fresh = 0
    for (const e of entries) {
      const node = this.index.get(e.key)
      if (node && node.expiresAt <= now) this.remove(node) // expired: it needs a slot like a new key
      if (!node || node.expiresAt <= now) fresh++
    }
    while (this.index.size + fresh > this.maxEntries) if (!this.dropExpired(now)) throw this.full
    for (const e of entries) this.set(e.key, e.value, e.ttlMs)
  }

  delete(key: K): boolean {
    const node = this.index.get(key)
    if (!node) return false
    this.remove(node)
    return true
  }

  private dropExpired(now: number): boolean {
    for (const list of this.lanes.values()) {
      const oldest = list.head
      if (oldest && oldest.expiresAt <= now) {
        this.remove(oldest)
        return true
      }
    }
    return false
  }

  // Few distinct TTLs exist (one per rule window, budget period…). Past MAX_LANES, TTLs are
  // rounded up to a power of two: state is then kept a little longer, never shorter.
  private laneFor(ttlMs: number): { ttl: number; list: LinkedList<K, V> } {
    let ttl = ttlMs
    let list = this.lanes.get(ttl)
    if (!list && this.lanes.size >= MAX_LANES) {
      ttl = 2 ** Math.ceil(Math.log2(Math.max(1, ttlMs)))
      list = this.lanes.get(ttl)
    }
    if (!list) {
      list = new LinkedList<K, V>()
      this.lanes.set(ttl, list)
    }
    return { ttl, list }
  }

  private remove(node: Link<K, V>): void {
    this.index.delete(node.key)
    node.list?.unlink(node)
  }
}
