import type { CachePort } from '../store/cache-port'
import { randomId } from '../util/hash'

/** A concurrency slot held under a lease: only its token gives it back. */
export interface Slot {
  key: string
  token: string
}

/**
 * Takes one of `n` concurrency slots (keys `slotKey(0…n-1)` in the cache port, set only if free,
 * for `leaseMs`), trying them from a random one so callers do not all race for the first.
 * Undefined when every slot is held. A holder that dies frees its slot when the lease lapses.
 */
export async function takeSlot(
  cache: CachePort,
  slotKey: (i: number) => string,
  n: number,
  leaseMs: number,
): Promise<Slot | undefined> {
  const token = randomId()
  const start = Math.floor(Math.random() * n)
  for (let i = 0; i < n; i++) {
    const key = slotKey((start + i) % n)
    if (await cache.setIfAbsent(key, token, leaseMs)) return { key, token }
  }
  return undefined
}
