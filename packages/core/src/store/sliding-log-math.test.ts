import { describe, expect, it } from 'vitest'
import type { RateLimitRule } from './rate-limit-port'
import { type LogState, logBucketMs, slidingLog } from './sliding-log-math'

const rule: RateLimitRule = { algorithm: 'sliding-log', limit: 30, windowMs: 2_000 }

describe('slidingLog', () => {
  it('never admits more than the limit in any interval of the window, however calls bunch up', () => {
    let seed = 7
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647
      return seed / 2_147_483_647
    }
    let state: LogState | undefined
    const admitted: number[] = []
    // Bursts at random moments, many of them at the very edges of where an earlier burst leaves.
    for (let t = 1_000_000; t < 1_060_000; t += random() < 0.7 ? 1 : Math.floor(random() * 100)) {
      const step = slidingLog(rule, state, 1, t)
      if (!step.decision.allowed) continue
      state = step.state
      admitted.push(t)
    }
    let from = 0
    for (const [i, t] of admitted.entries()) {
      while (admitted[from]! <= t - rule.windowMs) from++
      expect(i + 1 - from).toBeLessThanOrEqual(rule.limit)
    }
    // and it is not starved: one bucket (1%) of each window is all it may lose
    expect(admitted.length).toBeGreaterThanOrEqual(Math.floor((60_000 / 2_020) * 30) - 30)
  })

  it('tells when a refused call fits: when enough of the oldest units have left', () => {
    const g = logBucketMs(rule.windowMs)
    let state = slidingLog(rule, undefined, 20, 10_000).state
    state = slidingLog(rule, state, 10, 11_000).state
    const refused = slidingLog(rule, state, 5, 11_500)
    expect(refused.decision.allowed).toBe(false)
    expect(refused.decision.retryAfterMs).toBe(Math.floor(10_000 / g + 1) * g + rule.windowMs - 11_500)
    expect(slidingLog(rule, state, 5, 11_500 + refused.decision.retryAfterMs).decision.allowed).toBe(true)
    expect(slidingLog(rule, state, 31, 11_500).decision.allowed).toBe(false) // never fits: more than the limit
  })

  it('a negative cost gives back the newest units first, and the log keeps only what is in the window', () => {
    let state = slidingLog(rule, undefined, 4, 10_000).state
    state = slidingLog(rule, state, 3, 10_500).state
    state = slidingLog(rule, state, -5, 10_600).state
    expect(state.log).toEqual([Math.floor(10_000 / logBucketMs(2_000)), 2])
    expect(slidingLog(rule, state, 0, 12_100).state.log).toEqual([])
  })
})
