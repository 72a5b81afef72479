import type { CachePort } from '../store/cache-port'
import { BoundedMap } from '../util/lru'

export function memoryCache(maxEntries: number, now: () => number): CachePort {
  const entries = new BoundedMap<string, string>(maxEntries, now)
  return {
    async get(key) {
      return entries.get(key)
    },
    async set(key, value, ttlMs) {
      entries.set(key, value, ttlMs)
    },
    async setIfAbsent(key, value, ttlMs) {
      if (entries.get(key) !== undefined) return false
      entries.set(key, value, ttlMs)
      return true
    },
    async delete(key) {
      return entries.delete(key)
    },
    async deletePrefix(prefix) {
      let n = 0
      for (const [key] of [...entries.entries()]) {
        if (key.startsWith(prefix) && entries.delete(key)) n++
      }
      return n
    },
  }
}
