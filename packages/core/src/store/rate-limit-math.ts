import type { RateLimitDecision, RateLimitRule } from './rate-limit-port'
import { type LogState, slidingLog } from './sliding-log-math'

/** Window counters for fixed and sliding windows; bucket level for token bucket; a sliding log. */
export type LimitState =
  | { window: number; count: number; prev: number }
  | { tokens: number; updatedAt: number }
  | LogState

export interface Step {
  decision: RateLimitDecision
  state: LimitState
}

/**
 * The reference arithmetic of the four algorithms. Adapters make the allow/deny decision and the
 * state write atomically in their backend with these same formulas, then call `step` on the
 * state as it was before the call to derive remaining / resetAt / retryAfterMs identically.
 */
export function step(rule: RateLimitRule, state: LimitState | undefined, cost: number, now: number): Step {
  if (rule.algorithm === 'sliding-log')
    return slidingLog(rule, state && 'log' in state ? state : undefined, cost, now)
  return rule.algorithm === 'token-bucket'
    ? tokenBucket(rule, state && 'tokens' in state ? state : undefined, cost, now)
    : windowed(rule, state && 'window' in state ? state : undefined, cost, now)
}

function windowed(
  rule: RateLimitRule,
  state: { window: number; count: number; prev: number } | undefined,
  cost: number,
  now: number,
): Step {
  const { limit, windowMs } = rule
  const window = Math.floor(now / windowMs)
  let count = 0
  let prev = 0
  if (state?.window === window) {
    count = state.count
    prev = state.prev
  } else if (state?.window === window - 1) {
    prev = state.count
  }
  const resetAt = (window + 1) * windowMs
  const elapsed = now - window * windowMs
  // Sliding window: the previous window's count weighs in by how much of it still overlaps.
  const weight = rule.algorithm === 'sliding-window' ? (windowMs - elapsed) / windowMs : 0
  const used = prev * weight + count
  const allowed = used + cost <= limit
  if (allowed) count = Math.max(0, count + cost) // a negative cost gives units back
  const remaining = Math.max(0, Math.floor(limit - (allowed ? used + cost : used)))
  let retryAfterMs = 0
  if (!allowed) {
    if (rule.algorithm === 'fixed-window' || prev === 0) retryAfterMs = resetAt - now
    else {
      // Solve prev·(W−e−d)/W + count + cost ≤ limit for d, within this window or the next.
      const room = limit - count - cost
      if (room >= 0) retryAfterMs = Math.ceil(windowMs - elapsed - (room * windowMs) / prev)
      else retryAfterMs = resetAt - now + Math.ceil(windowMs * (1 - (limit - cost) / count))
    }
    retryAfterMs = Math.max(1, retryAfterMs)
  }
  return {
    decision: { allowed, limit, remaining, resetAt, retryAfterMs },
    state: { window, count, prev },
  }
}

function tokenBucket(
  rule: RateLimitRule,
  state: { tokens: number; updatedAt: number } | undefined,
  cost: number,
  now: number,
): Step {
  const { limit, windowMs } = rule
  const rate = limit / windowMs // tokens per ms
  const elapsed = state ? Math.max(0, now - state.updatedAt) : 0
  const level = state ? Math.min(limit, state.tokens + elapsed * rate) : limit
  const allowed = level >= cost
  const tokens = allowed ? Math.min(limit, level - cost) : level
  return {
    decision: {
      allowed,
      limit,
      remaining: Math.floor(tokens),
      resetAt: now + Math.ceil((limit - tokens) / rate),
      retryAfterMs: allowed ? 0 : Math.max(1, Math.ceil((cost - tokens) / rate)),
    },
    state: { tokens, updatedAt: now },
  }
}
