export type RateLimitAlgorithm = 'fixed-window' | 'sliding-window' | 'sliding-log' | 'token-bucket'

/** One limit, already normalised (ms, integers). */
export interface RateLimitRule {
  algorithm: RateLimitAlgorithm
  /** Calls (or cost units, e.g. tokens) admitted per window; the bucket's capacity for token-bucket. */
  limit: number
  /** Window length; for token-bucket, the time in which a full bucket refills. */
  windowMs: number
}

export interface RateLimitDecision {
  allowed: boolean
  limit: number
  /** Units left after this call (0 when denied and the window is full). */
  remaining: number
  /** Epoch ms when the window resets (fixed/sliding) or the bucket is full again. */
  resetAt: number
  /** 0 when allowed; otherwise how long until a call of this cost can succeed. */
  retryAfterMs: number
}

/** One counter a call draws on. */
export interface RateLimitItem {
  /**
   * The counter's key. A key may end in `{slot}`: a sharded backend (Redis Cluster) keeps keys of
   * one slot together, so a call's counters can be decided in one operation. Otherwise opaque.
   */
  key: string
  cost: number
  rule: RateLimitRule
}

/**
 * Atomic rate-limit counters. `consume` decides and records in one step: a denied call consumes
 * nothing, and N concurrent callers on one key admit exactly `limit` units.
 */
export interface RateLimitPort {
  consume(key: string, cost: number, rule: RateLimitRule): Promise<RateLimitDecision>
  /**
   * Decides several counters of one call together (an endpoint limit and the daily total), all
   * or nothing, in one store operation: every item is recorded when every item fits, none
   * otherwise. Each decision is its item's own verdict; the call passes when all are allowed.
   */
  consumeAll(items: readonly RateLimitItem[]): Promise<RateLimitDecision[]>
  /** The current state without consuming (cost 0). */
  peek(key: string, rule: RateLimitRule): Promise<RateLimitDecision>
  reset(key: string): Promise<void>
}
