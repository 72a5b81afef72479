/** What avoided an upstream call: a cache hit, a coalesced duplicate, a batch's other items. */
export type SavedBy = 'cache' | 'coalesce' | 'batch'

export const SAVED_BY: readonly SavedBy[] = ['cache', 'coalesce', 'batch']

export interface Savings {
  /** Upstream calls not made. */
  calls: number
  /** What those calls would have cost, priced as each would have been (USD). */
  usd: number
  by: Record<SavedBy, { calls: number; usd: number }>
}

/** Savings from the counters read back, in SAVED_BY order: calls, then USD, per kind. */
export function toSavings(values: readonly number[]): Savings {
  const by = {} as Savings['by']
  let calls = 0
  let usd = 0
  for (const [i, kind] of SAVED_BY.entries()) {
    const entry = { calls: values[2 * i] ?? 0, usd: values[2 * i + 1] ?? 0 }
    by[kind] = entry
    calls += entry.calls
    usd += entry.usd
  }
  return { calls, usd, by }
}
