import type { RateLimitDecision, RateLimitRule } from '../store/rate-limit-port'

/** What a test keeps of each admitted call (cost 1): enough to place it in time, server-side. */
export type Admission = Pick<RateLimitDecision, 'resetAt' | 'remaining'>

export interface AdmissionCheck {
  /** Every violation found, in words; empty when the limit held. */
  problems: string[]
  /** Admitted calls per window (fixed / sliding), oldest first; for a bucket, one entry in all. */
  perWindow: number[]
}

/**
 * Checks admitted calls against a rule, window by window, with the server's own clock (the
 * decisions' resetAt), so a fleet's calls are judged by when the store decided them:
 * - fixed and sliding window: no window admits more than `limit`; with `saturated`, every fixed
 *   window between the first and the last admits exactly `limit` (demand never let up; a sliding
 *   window may end a unit short, its previous window still weighing in);
 * - sliding log: no interval of the window's length admits more than `limit` (by the buckets the
 *   log counts in; a decision's resetAt is when its own bucket leaves the window);
 * - token bucket: by any moment, no more than the bucket held at the start plus its refill since.
 */
export function checkAdmissions(
  rule: RateLimitRule,
  admitted: readonly Admission[],
  options: { saturated?: boolean } = {},
): AdmissionCheck {
  if (rule.algorithm === 'sliding-log') return checkLog(rule, admitted)
  return rule.algorithm === 'token-bucket'
    ? checkBucket(rule, admitted)
    : checkWindows(rule, admitted, options)
}

function checkWindows(rule: RateLimitRule, admitted: readonly Admission[], options: { saturated?: boolean }) {
  const counts = new Map<number, number>()
  for (const a of admitted) counts.set(a.resetAt, (counts.get(a.resetAt) ?? 0) + 1)
  const ends = [...counts.keys()].sort((a, b) => a - b)
  const problems: string[] = []
  const perWindow: number[] = []
  if (ends.length === 0) return { problems, perWindow }
  for (let end = ends[0]!; end <= ends[ends.length - 1]!; end += rule.windowMs) {
    const n = counts.get(end) ?? 0
    perWindow.push(n)
    const inner = end !== ends[0] && end !== ends[ends.length - 1]
    if (n > rule.limit) problems.push(`window ending ${end} admitted ${n} of ${rule.limit}`)
    else if (options.saturated && rule.algorithm === 'fixed-window' && inner && n !== rule.limit)
      problems.push(`window ending ${end} admitted ${n}, not ${rule.limit}, under sustained load`)
  }
  return { problems, perWindow }
}

function checkBucket(rule: RateLimitRule, admitted: readonly Admission[]) {
  const rate = rule.limit / rule.windowMs
  // resetAt is now + the time to refill what is missing; remaining is the level rounded down.
  const times = admitted.map((a) => a.resetAt - (rule.limit - a.remaining) / rate).sort((a, b) => a - b)
  const problems: string[] = []
  const slack = 2 / rate + 2 // the rounding in remaining and resetAt
  for (const [i, t] of times.entries()) {
    const bound = rule.limit + rate * (t - times[0]! + slack) + 1
    if (i + 1 > bound) {
      problems.push(
        `by ${Math.round(t - times[0]!)}ms after the first call, ${i + 1} admitted; at most ${Math.floor(bound)}`,
      )
      break
    }
  }
  return { problems, perWindow: [times.length] }
}

function checkLog(rule: RateLimitRule, admitted: readonly Admission[]) {
  // An admitted call is the newest in its log: resetAt is when its bucket leaves the window.
  const leaves = admitted.map((a) => a.resetAt).sort((a, b) => a - b)
  const problems: string[] = []
  const perWindow: number[] = []
  let from = 0
  for (const [i, t] of leaves.entries()) {
    while (leaves[from]! <= t - rule.windowMs) from++
    if (i + 1 - from > rule.limit) {
      problems.push(`${i + 1 - from} admitted within ${rule.windowMs}ms of each other; at most ${rule.limit}`)
      break
    }
  }
  if (leaves.length > 0)
    for (let end = leaves[0]!; end <= leaves[leaves.length - 1]!; end += rule.windowMs)
      perWindow.push(leaves.filter((t) => t >= end && t < end + rule.windowMs).length)
  return { problems, perWindow }
}
