import type { MetricsPort } from '../store/metrics-port'
import { BoundedMap } from '../util/lru'

export function memoryMetrics(maxKeys: number, now: () => number): MetricsPort {
  const counters = new BoundedMap<string, number>(maxKeys, now)
  const sets = new BoundedMap<string, BoundedMap<string, true>>(maxKeys, now)
  return {
    async incr(name, by, ttlMs) {
      counters.set(name, (counters.get(name) ?? 0) + by, ttlMs)
    },
    async get(names) {
      return names.map((n) => counters.get(n) ?? 0)
    },
    async addToSet(name, member, ttlMs) {
      let set = sets.get(name)
      if (!set) {
        set = new BoundedMap(maxKeys, now)
        sets.set(name, set, ttlMs)
      }
      set.set(member, true, ttlMs)
    },
    async countSet(name) {
      const set = sets.get(name)
      if (!set) return 0
      let n = 0
      for (const _ of set.entries()) n++
      return n
    },
  }
}
