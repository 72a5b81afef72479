import { emptyDict } from '../config/dict-schema'
import type { DayTotals, UsageRow } from './usage-port'

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time: the key day totals are kept under. */
export const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10)

export const emptyDayTotals = (): DayTotals => ({
  usd: 0,
  requests: 0,
  cachedRequests: 0,
  byTier: emptyDict(),
  byEndpoint: emptyDict(),
})

/** Adds one row (or a rolled-up row's requests) to a day's totals. */
export function addToDay(day: DayTotals, row: UsageRow): void {
  const n = row.requests ?? 1
  day.usd += row.costUsd
  day.requests += n
  if (row.cached) day.cachedRequests += n
  day.byTier[row.tier] = (day.byTier[row.tier] ?? 0) + row.costUsd
  day.byEndpoint[row.endpoint] = (day.byEndpoint[row.endpoint] ?? 0) + row.costUsd
}

/**
 * What a rolled-up line of a day groups rows by (user, endpoint, tier, provider, model, cached),
 * as one string: the key every store that rolls usage up keeps its lines under.
 */
export const rollupLineOf = (row: UsageRow): string =>
  JSON.stringify([row.userId, row.endpoint, row.tier, row.provider, row.model, row.cached ? 1 : 0])

/** One day's rows (or rolled-up rows) summed: for a store that keeps no day totals. */
export function dayOfRows(rows: readonly UsageRow[]): DayTotals {
  const day = emptyDayTotals()
  for (const row of rows) addToDay(day, row)
  return day
}

/** A copy (the maps stay prototype-less). */
export const copyDay = (day: DayTotals): DayTotals => ({
  ...day,
  byTier: Object.assign(emptyDict<number>(), day.byTier),
  byEndpoint: Object.assign(emptyDict<number>(), day.byEndpoint),
})
