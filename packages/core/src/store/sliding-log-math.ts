import type { RateLimitDecision, RateLimitRule } from './rate-limit-port'

/**
 * A sliding log's state: the units admitted per bucket of time, oldest first, flattened as
 * `[bucket, units, bucket, units, …]` (a bucket is `floor(t / logBucketMs(windowMs))`).
 */
export interface LogState {
  log: number[]
}

/** A log keeps a hundred buckets of a window at most: its state stays small under any load. */
export const logBucketMs = (windowMs: number): number => Math.max(1, Math.ceil(windowMs / 100))

/**
 * The sliding log: a call fits when the units admitted in the last `windowMs` (counted by whole
 * buckets, so a bucket partly inside still counts whole) plus its cost are within the limit.
 * Unlike the sliding window's estimate, no interval of `windowMs` ever admits more than `limit`,
 * however the calls bunch up at the edges; it may admit up to one bucket (1%) less.
 */
export function slidingLog(
  rule: RateLimitRule,
  state: LogState | undefined,
  cost: number,
  now: number,
): { decision: RateLimitDecision; state: LogState } {
  const { limit, windowMs } = rule
  const g = logBucketMs(windowMs)
  const cut = Math.floor((now - windowMs) / g)
  const log: number[] = []
  let used = 0
  const old = state?.log ?? []
  for (let i = 0; i + 1 < old.length; i += 2) {
    if (old[i]! < cut || !(old[i + 1]! > 0)) continue
    log.push(old[i]!, old[i + 1]!)
    used += old[i + 1]!
  }
  const allowed = used + cost <= limit
  const expiry = (bucket: number) => (bucket + 1) * g + windowMs
  let retryAfterMs = 0
  if (!allowed) {
    // The oldest buckets leave first: the call fits once enough of them have.
    retryAfterMs = windowMs
    let left = used
    for (let i = 0; i < log.length; i += 2) {
      left -= log[i + 1]!
      if (left + cost <= limit) {
        retryAfterMs = expiry(log[i]!) - now
        break
      }
    }
    retryAfterMs = Math.max(1, retryAfterMs)
  }
  const after = allowed && cost !== 0 ? added(log, Math.floor(now / g), cost) : log
  const remaining = Math.max(0, Math.floor(limit - (allowed ? used + cost : used)))
  const resetAt = after.length > 0 ? expiry(after[after.length - 2]!) : now
  return { decision: { allowed, limit, remaining, resetAt, retryAfterMs }, state: { log: after } }
}

/** The log with `cost` units more in `bucket`; a negative cost gives back the newest units first. */
function added(log: number[], bucket: number, cost: number): number[] {
  const out = [...log]
  if (cost > 0) {
    if (out.length > 0 && out[out.length - 2] === bucket) out[out.length - 1]! += cost
    else out.push(bucket, cost)
    return out
  }
  let back = -cost
  for (let i = out.length - 2; i >= 0 && back > 0; i -= 2) {
    const take = Math.min(back, out[i + 1]!)
    out[i + 1]! -= take
    back -= take
  }
  return out.filter((_, i) => out[i - (i % 2) + 1]! > 0)
}
