import { type LimitState, step } from '../store/rate-limit-math'
import type { RateLimitPort } from '../store/rate-limit-port'
import { ExpiringMap } from '../util/expiring-map'

export function memoryRateLimit(maxKeys: number, now: () => number): RateLimitPort {
  const states = new ExpiringMap<string, LimitState>(maxKeys, now)
  return {
    async consume(key, cost, rule) {
      const t = now()
      const { decision, state } = step(rule, states.get(key), cost, t)
      // A key matters for two windows at most (the sliding window looks one back); then it expires.
      states.set(key, state, rule.windowMs * 2)
      return decision
    },
    async peek(key, rule) {
      return step(rule, states.get(key), 0, now()).decision
    },
    async reset(key) {
      states.delete(key)
    },
  }
}
