import type { MetricsPort } from '../store/metrics-port'
import { BoundedMap } from '../util/lru'

export function memoryMetrics(maxKeys: number, now: () => number): MetricsPort {
  const counters = new BoundedMap<string, number>(maxKeys, now)
  const sets = new BoundedMap<string, BoundedMap<string, true>>(maxKeys, now)
  return {
    async write({ counters: incs, sets: adds }) {
      for (const c of incs) counters.set(c.name, (counters.get(c.name) ?? 0) + c.by, c.ttlMs)
      for (const s of adds) {
        let set = sets.get(s.name)
        if (!set) set = new BoundedMap(maxKeys, now)
        for (const m of s.members) set.set(m, true, s.ttlMs)
        sets.set(s.name, set, s.ttlMs)
      }
    },
    async get(names) {
      return names.map((n) => counters.get(n) ?? 0)
    },
    async countDistinct(names) {
      const seen = new Set<string>()
      for (const name of names) for (const [m] of sets.get(name)?.entries() ?? []) seen.add(m)
      return seen.size
    },
  }
}
