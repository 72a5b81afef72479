import { type RateLimitPort, rateLimitStep } from '@sluice/core'
import type { RedisCommands } from './client'
import { bucketScript, windowScript } from './rate-limit-scripts'
import { runScript } from './scripts'

/** The rate-limit port: one Lua script per call, atomic on the server, with the server's clock. */
export function redisRateLimit(client: RedisCommands, keyFor: (key: string) => string): RateLimitPort {
  async function run(
    key: string,
    cost: number,
    rule: Parameters<RateLimitPort['consume']>[2],
    peek: boolean,
  ) {
    const k = keyFor(key)
    if (rule.algorithm === 'token-bucket') {
      const [ok, now, level] = (await runScript(
        client,
        bucketScript,
        [k],
        [cost, rule.limit, rule.windowMs, peek ? 1 : 0],
      )) as [number, string, string]
      const decision = rateLimitStep(
        rule,
        { tokens: Number(level), updatedAt: Number(now) },
        cost,
        Number(now),
      ).decision
      decision.allowed = ok === 1 // the script decided; the arithmetic only derives the numbers
      return decision
    }
    const sliding = rule.algorithm === 'sliding-window' ? 1 : 0
    const [ok, now, win, count, prev] = (await runScript(
      client,
      windowScript,
      [k],
      [cost, rule.limit, rule.windowMs, sliding, peek ? 1 : 0],
    )) as [number, string, string, string, string]
    const before = { window: Number(win), count: Number(count), prev: Number(prev) }
    const decision = rateLimitStep(rule, before, cost, Number(now)).decision
    decision.allowed = ok === 1 // the script decided; the arithmetic only derives the numbers
    return decision
  }
  return {
    consume: (key, cost, rule) => run(key, cost, rule, false),
    peek: (key, rule) => run(key, 0, rule, true),
    async reset(key) {
      await client.del(keyFor(key))
    },
  }
}
