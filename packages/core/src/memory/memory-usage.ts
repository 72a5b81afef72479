import type { UsagePort, UsageRow } from '../store/usage-port'
import { BoundedMap } from '../util/lru'

export function memoryUsage(maxKeys: number, maxRows: number, now: () => number): UsagePort {
  const totals = new BoundedMap<string, number>(maxKeys, now)
  // A ring: the newest maxRows rows, without shifting an array on every record.
  const rows: UsageRow[] = []
  let next = 0
  return {
    async reserve(amountUsd, limits) {
      const current: Record<string, number> = {}
      for (const l of limits) current[l.key] = totals.get(l.key) ?? 0
      const denied = limits.find((l) => (current[l.key] ?? 0) + amountUsd > l.limitUsd + 1e-12)
      if (denied) return { ok: false, deniedBy: denied.key, totals: current }
      for (const l of limits) {
        current[l.key] = (current[l.key] ?? 0) + amountUsd
        totals.set(l.key, current[l.key]!, l.ttlMs)
      }
      return { ok: true, totals: current }
    },
    async adjust(deltaUsd, limits) {
      for (const l of limits) totals.set(l.key, Math.max(0, (totals.get(l.key) ?? 0) + deltaUsd), l.ttlMs)
    },
    async total(key) {
      return totals.get(key) ?? 0
    },
    async record(row) {
      if (rows.length < maxRows) rows.push(row)
      else rows[next] = row
      next = (next + 1) % maxRows
    },
    async rows(since) {
      const ordered = rows.length < maxRows ? rows : [...rows.slice(next), ...rows.slice(0, next)]
      return ordered.filter((r) => r.at >= since)
    },
  }
}
