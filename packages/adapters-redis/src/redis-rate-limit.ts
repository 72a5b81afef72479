import {
  type RateLimitDecision,
  type RateLimitItem,
  type RateLimitPort,
  type RateLimitRule,
  rateLimitStep,
  ServerClock,
  SluiceError,
} from '@sluice/core/adapter'
import type { RedisCommands } from './client'
import { limitScript } from './rate-limit-scripts'
import { runScript } from './scripts'

const ALGO = { 'fixed-window': 'f', 'sliding-window': 's', 'token-bucket': 'b' } as const

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

/** The state before the call, as the script read it, in the core's shape. */
function before(rule: RateLimitRule, a: string, b: string, c: string, now: number) {
  return rule.algorithm === 'token-bucket'
    ? { tokens: Number(a), updatedAt: now }
    : { window: Number(a), count: Number(b), prev: Number(c) }
}

/**
 * The rate-limit port: one Lua script per call — one counter or several, all or nothing —
 * atomic on the server with the server's clock. Each consume carries a deadline (server time)
 * past which the script applies nothing.
 */
export function redisRateLimit(
  client: RedisCommands,
  keyFor: (key: string) => string,
  timeoutMs: number,
): RateLimitPort {
  const clock = new ServerClock()
  async function run(items: readonly RateLimitItem[], peek: boolean): Promise<RateLimitDecision[]> {
    const args: (string | number)[] = [peek ? 0 : clock.deadline(timeoutMs), peek ? 1 : 0]
    for (const i of items) args.push(ALGO[i.rule.algorithm], i.cost, i.rule.limit, i.rule.windowMs)
    const reply = (await runScript(
      client,
      limitScript,
      items.map((i) => keyFor(i.key)),
      args,
    )) as (number | string)[]
    const now = Number(reply[1])
    clock.observe(now)
    if (reply[0] === -1) throw late()
    return items.map((item, n) => {
      const [ok, a, b, c] = reply.slice(2 + n * 4, 6 + n * 4) as [number, string, string, string]
      const { decision } = rateLimitStep(item.rule, before(item.rule, a, b, c, now), item.cost, now)
      decision.allowed = ok === 1 // the script decided; the arithmetic only derives the numbers
      return decision
    })
  }
  // One counter (the common case), without the arrays of the general path.
  async function one(
    key: string,
    cost: number,
    rule: RateLimitRule,
    peek: boolean,
  ): Promise<RateLimitDecision> {
    const args = [
      peek ? 0 : clock.deadline(timeoutMs),
      peek ? 1 : 0,
      ALGO[rule.algorithm],
      cost,
      rule.limit,
      rule.windowMs,
    ]
    const reply = (await runScript(client, limitScript, [keyFor(key)], args)) as (number | string)[]
    const now = Number(reply[1])
    clock.observe(now)
    if (reply[0] === -1) throw late()
    const { decision } = rateLimitStep(
      rule,
      before(rule, reply[3] as string, reply[4] as string, reply[5] as string, now),
      cost,
      now,
    )
    decision.allowed = reply[2] === 1 // the script decided; the arithmetic only derives the numbers
    return decision
  }
  return {
    consume: (key, cost, rule) => one(key, cost, rule, false),
    consumeAll: (items) => run(items, false),
    peek: (key, rule) => one(key, 0, rule, true),
    async reset(key) {
      await client.del([keyFor(key)])
    },
  }
}
