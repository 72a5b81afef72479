import { emptyDict } from '../config/dict-schema'
import { fitsBudget } from '../store/usage-math'
import type { BudgetLimit, UsagePort, UsageRow } from '../store/usage-port'
import { ExpiringMap } from '../util/expiring-map'

export function memoryUsage(maxKeys: number, maxRows: number, now: () => number): UsagePort {
  const totals = new ExpiringMap<string, number>(maxKeys, now)
  // A ring: the newest maxRows rows, without shifting an array on every record.
  const rows: UsageRow[] = []
  let next = 0

  const read = (limits: readonly BudgetLimit[]) => {
    const current = emptyDict<number>()
    for (const l of limits) current[l.key] = totals.get(l.key) ?? 0
    return current
  }

  // All counters change, or none: a refusal (memory full) part-way puts back what was written.
  function write(limits: readonly BudgetLimit[], before: Record<string, number>, deltaUsd: number) {
    const after = emptyDict<number>()
    const done: { limit: BudgetLimit; was: number | undefined }[] = []
    try {
      for (const l of limits) {
        const was = totals.get(l.key)
        after[l.key] = Math.max(0, (before[l.key] ?? 0) + deltaUsd)
        totals.set(l.key, after[l.key]!, l.ttlMs)
        done.push({ limit: l, was })
      }
    } catch (error) {
      for (const { limit, was } of done) {
        if (was === undefined) totals.delete(limit.key)
        else totals.set(limit.key, was, limit.ttlMs)
      }
      throw error
    }
    return after
  }

  return {
    async reserve(amountUsd, limits) {
      const current = read(limits)
      const denied = limits.find((l) => !fitsBudget(current[l.key] ?? 0, amountUsd, l.limitUsd))
      if (denied) return { ok: false, deniedBy: denied.key, totals: current }
      return { ok: true, totals: write(limits, current, amountUsd) }
    },
    async adjust(deltaUsd, limits) {
      return write(limits, read(limits), deltaUsd)
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
