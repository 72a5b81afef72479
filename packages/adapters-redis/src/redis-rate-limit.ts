import { type RateLimitPort, rateLimitStep, ServerClock, SluiceError } from '@sluice/core/adapter'
import type { RedisCommands } from './client'
import { bucketScript, windowScript } from './rate-limit-scripts'
import { runScript } from './scripts'

function late(): SluiceError {
  return new SluiceError(
    'store_unavailable',
    'redis: the call reached the server after its timeout; not applied',
    {
      retryable: true,
      details: { reason: 'late' },
    },
  )
}

/**
 * The rate-limit port: one Lua script per call, atomic on the server, with the server's clock.
 * Each consume carries a deadline (server time), past which the script applies nothing.
 */
export function redisRateLimit(
  client: RedisCommands,
  keyFor: (key: string) => string,
  timeoutMs: number,
): RateLimitPort {
  const clock = new ServerClock()
  async function run(
    key: string,
    cost: number,
    rule: Parameters<RateLimitPort['consume']>[2],
    peek: boolean,
  ) {
    const k = keyFor(key)
    const deadline = peek ? 0 : clock.deadline(timeoutMs)
    if (rule.algorithm === 'token-bucket') {
      const [ok, now, level] = (await runScript(
        client,
        bucketScript,
        [k],
        [cost, rule.limit, rule.windowMs, peek ? 1 : 0, deadline],
      )) as [number, string, string]
      clock.observe(Number(now))
      if (ok === -1) throw late()
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
      [cost, rule.limit, rule.windowMs, sliding, peek ? 1 : 0, deadline],
    )) as [number, string, string, string, string]
    clock.observe(Number(now))
    if (ok === -1) throw late()
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
