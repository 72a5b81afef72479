export interface BudgetLimit {
  /** Counter key, e.g. `user:day:2026-11-22`. */
  key: string
  /** USD allowed in this period. */
  limitUsd: number
  /** When the counter can be forgotten. */
  ttlMs: number
}

export interface ReserveResult {
  ok: boolean
  /** The limit that refused the reservation, when one did. */
  deniedBy?: string
  /** Spent + reserved per limit key after this call (before it, when denied). */
  totals: Record<string, number>
}

export interface UsageRow {
  userId: string
  tier: string
  endpoint: string
  provider: string
  model: string
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  costUsd: number
  cached: boolean
  at: number
}

/**
 * Spend counters with reservations. `reserve` adds `amount` to every counter only if it fits
 * every limit (`fitsBudget`) — all or nothing, atomically — so concurrent calls cannot overspend.
 */
export interface UsagePort {
  reserve(amountUsd: number, limits: readonly BudgetLimit[]): Promise<ReserveResult>
  /**
   * Replaces a reservation by the real cost: adds `deltaUsd` (may be negative; totals never go
   * below 0) to each key, and returns the totals after it.
   */
  adjust(deltaUsd: number, keys: readonly BudgetLimit[]): Promise<Record<string, number>>
  total(key: string): Promise<number>
  record(row: UsageRow): Promise<void>
  /** Rows since `since` (epoch ms), newest last; bounded by the store's retention. */
  rows(since: number): Promise<UsageRow[]>
}
