import { type LimitState, step } from '../store/rate-limit-math'
import type { RateLimitPort } from '../store/rate-limit-port'
import { ExpiringMap } from '../util/expiring-map'

// A key matters for two windows at most (the sliding window looks one back); then it expires.
const keepFor = (windowMs: number) => windowMs * 2

export function memoryRateLimit(maxKeys: number, now: () => number): RateLimitPort {
  const states = new ExpiringMap<string, LimitState>(maxKeys, now)
  const port: RateLimitPort = {
    async consume(key, cost, rule) {
      const { decision, state } = step(rule, states.get(key), cost, now())
      if (decision.allowed) states.set(key, state, keepFor(rule.windowMs))
      return decision
    },
    async consumeAll(items) {
      const t = now()
      const steps = items.map((i) => step(i.rule, states.get(i.key), i.cost, t))
      if (steps.every((s) => s.decision.allowed)) {
        states.setAll(
          items.map((i, n) => ({ key: i.key, value: steps[n]!.state, ttlMs: keepFor(i.rule.windowMs) })),
        )
      }
      return steps.map((s) => s.decision)
    },
    async peek(key, rule) {
      return step(rule, states.get(key), 0, now()).decision
    },
    async reset(key) {
      states.delete(key)
    },
  }
  return port
}
