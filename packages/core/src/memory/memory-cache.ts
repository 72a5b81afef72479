import type { CachePort } from '../store/cache-port'
import { BoundedMap } from '../util/lru'

export function memoryCache(maxEntries: number, now: () => number): CachePort {
  const entries = new BoundedMap<string, string>(maxEntries, now)
  const channels = new Map<string, Set<(message: string) => void>>()
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
    async extendIf(key, value, ttlMs) {
      if (entries.get(key) !== value) return false
      entries.set(key, value, ttlMs)
      return true
    },
    async delete(key) {
      return entries.delete(key)
    },
    async deleteIf(key, value) {
      return entries.get(key) === value && entries.delete(key)
    },
    async deletePrefix(prefix) {
      let n = 0
      for (const [key] of [...entries.entries()]) {
        if (key.startsWith(prefix) && entries.delete(key)) n++
      }
      return n
    },
    async publish(channel, message) {
      for (const listener of [...(channels.get(channel) ?? [])]) listener(message)
    },
    subscribe(channel, listener) {
      let set = channels.get(channel)
      if (!set) {
        set = new Set()
        channels.set(channel, set)
      }
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0) channels.delete(channel)
      }
    },
  }
}
