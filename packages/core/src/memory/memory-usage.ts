import { emptyDict } from '../config/dict-schema'
import { addToDay, copyDay, emptyDayTotals, utcDay } from '../store/day-totals'
import { RolledDays } from '../store/rolled-days'
import { fitsBudget } from '../store/usage-math'
import type { DayTotals, SpendChange, UsagePort, UsageRow } from '../store/usage-port'
import { entryOf } from '../util/entry-of'
import { ExpiringMap } from '../util/expiring-map'

export function memoryUsage(maxKeys: number, maxRows: number, now: () => number): UsagePort {
  const totals = new ExpiringMap<string, number>(maxKeys, now)
  // A ring: the newest maxRows rows, without shifting an array on every record; the rows it
  // lets go are rolled up into daily lines (as the shared stores roll up old rows).
  const rows: UsageRow[] = []
  const rolled = new RolledDays(maxRows)
  let next = 0
  const days = new Map<string, DayTotals>() // the last few UTC days' totals

  // All counters change, or none (the map refuses before writing when they do not fit).
  function apply(changes: readonly SpendChange[]) {
    const after = emptyDict<number>()
    for (const c of changes) after[c.key] = Math.max(0, (after[c.key] ?? totals.get(c.key) ?? 0) + c.deltaUsd)
    totals.setAll(changes.map((c) => ({ key: c.key, value: after[c.key]!, ttlMs: c.ttlMs })))
    return after
  }

  return {
    async reserve(amountUsd, limits) {
      const current = emptyDict<number>()
      for (const l of limits) current[l.key] = totals.get(l.key) ?? 0
      const denied = limits.find((l) => !fitsBudget(current[l.key] ?? 0, amountUsd, l.limitUsd))
      if (denied) return { ok: false, deniedBy: denied.key, totals: current }
      return {
        ok: true,
        totals: apply(limits.map((l) => ({ key: l.key, deltaUsd: amountUsd, ttlMs: l.ttlMs }))),
      }
    },
    async settle(changes, row) {
      const after = apply(changes)
      if (row) {
        addToDay(
          entryOf(days, utcDay(row.at), () => emptyDayTotals()),
          row,
        )
        for (const old of days.keys()) if (days.size > 3) days.delete(old) // the oldest days first
        if (rows.length < maxRows) rows.push(row)
        else {
          rolled.add(rows[next]!)
          rows[next] = row
        }
        next = (next + 1) % maxRows
      }
      return after
    },
    async total(key) {
      return totals.get(key) ?? 0
    },
    async rows(since) {
      const ordered = rows.length < maxRows ? rows : [...rows.slice(next), ...rows.slice(0, next)]
      return [...rolled.rows(since), ...ordered.filter((r) => r.at >= since)]
    },
    async dayTotals(day) {
      const totals = days.get(day)
      return totals ? copyDay(totals) : emptyDayTotals()
    },
  }
}
