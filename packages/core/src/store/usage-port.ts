export interface BudgetLimit {
  /** Counter key, e.g. `spend:day:2026-11-22:{user}` (it names the user's slot). */
  key: string
  /** USD allowed in this period: always finite (a period without a limit is not checked). */
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

/** A change to one spend counter: `deltaUsd` may be negative; a counter never goes below 0. */
export interface SpendChange {
  key: string
  deltaUsd: number
  ttlMs: number
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
  /** Server-side stores may stamp their own time; this is the caller's. */
  at: number
  /**
   * How many requests the row stands for: absent (1) for one call, more for a day's rolled-up
   * total of a user, endpoint and tier (its tokens and cost are the sums; `cached` says whether
   * these were cache hits).
   */
  requests?: number
}

/** One UTC day's spend, moved by every settle that records a row: read in O(1), not from rows. */
export interface DayTotals {
  usd: number
  requests: number
  cachedRequests: number
  byTier: Record<string, number>
  byEndpoint: Record<string, number>
}

/**
 * Spend counters with reservations, and the usage rows behind reports. A call costs at most
 * two port calls: `reserve` before (only for users with a finite budget) and `settle` after.
 */
export interface UsagePort {
  /**
   * Adds `amountUsd` to every limit's counter only if it fits every limit (`fitsBudget`) — all
   * or nothing, atomically — so concurrent calls cannot overspend.
   */
  reserve(amountUsd: number, limits: readonly BudgetLimit[]): Promise<ReserveResult>
  /**
   * In one call: applies every change (a reservation replaced by the real cost, or given back)
   * and, when given, records the usage row. Returns the counters after the changes.
   */
  settle(changes: readonly SpendChange[], row?: UsageRow): Promise<Record<string, number>>
  total(key: string): Promise<number>
  /**
   * Rows since `since` (epoch ms), oldest first; bounded by the store's retention. A store that
   * rolls old rows up returns, for those days, one row per day, user, endpoint, tier and
   * cached-or-not with its `requests`.
   */
  rows(since: number): Promise<UsageRow[]>
  /**
   * The totals of one UTC day (`YYYY-MM-DD`, by the store's clock where it stamps rows), kept
   * by the settles themselves so that `stats()` need not read the day's rows. Optional: without
   * it the monitor sums `rows`.
   */
  dayTotals?(day: string): Promise<DayTotals>
}
