import {
  type RateLimitDecision,
  type RateLimitItem,
  type RateLimitPort,
  type RateLimitRule,
  rateLimitStep,
  ServerClock,
  SluiceError,
  tickBatcher,
} from '@sluice/core/adapter'
import type { RedisCommands } from './client'
import { limitScript } from './rate-limit-scripts'
import { runScript } from './scripts'

const ALGO = { 'fixed-window': 'f', 'sliding-window': 's', 'sliding-log': 'l', 'token-bucket': 'b' } as const

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
  if (rule.algorithm === 'sliding-log') return { log: a === '' ? [] : String(a).split(' ').map(Number) }
  return rule.algorithm === 'token-bucket'
    ? { tokens: Number(a), updatedAt: now }
    : { window: Number(a), count: Number(b), prev: Number(c) }
}

/** One caller's decision as the script sends it: its counters and what they answer. */
interface Ask {
  keys: string[]
  args: (string | number)[]
}
/** The script's answer to one caller: the server's time, 1 / 0 / -1, and 4 fields per counter. */
interface Answer {
  now: number
  status: number
  fields: (number | string)[]
}

/**
 * The rate-limit port: one Lua script per call — one counter or several, all or nothing —
 * atomic on the server with the server's clock. Each consume carries a deadline (server time)
 * past which the script applies nothing. On one server (not a Cluster, whose callers' keys sit
 * on different slots, nor REST) the decisions asked for in one tick, and those asked for while
 * eight calls travel, go in one script call (16 at most), each still its own all-or-nothing
 * decision in turn: fewer writes to the socket and script calls for the server under load, no
 * wait for a lone call.
 */
export function redisRateLimit(
  client: RedisCommands,
  keyFor: (key: string) => string,
  timeoutMs: number,
): RateLimitPort {
  const clock = new ServerClock()
  const runAll = async (asks: Ask[]): Promise<Answer[]> => {
    const keys = asks.length === 1 ? asks[0]!.keys : asks.flatMap((a) => a.keys)
    const args = asks.length === 1 ? asks[0]!.args : asks.flatMap((a) => a.args)
    const reply = (await runScript(client, limitScript, keys, args)) as (number | string)[]
    const now = Number(reply[0])
    clock.observe(now)
    let at = 1
    return asks.map((ask) => {
      const status = Number(reply[at])
      const width = status === -1 ? 0 : ask.keys.length * 4
      const fields = reply.slice(at + 1, at + 1 + width)
      at += 1 + width
      return { now, status, fields }
    })
  }
  const batched = client.singleServer ? tickBatcher(runAll, { maxBatch: 16, inFlight: 8 }) : undefined
  const ask = (a: Ask): Promise<Answer> => (batched ? batched(a) : runAll([a]).then((r) => r[0]!))

  async function run(items: readonly RateLimitItem[], peek: boolean): Promise<RateLimitDecision[]> {
    const args: (string | number)[] = [peek ? 0 : clock.deadline(timeoutMs), peek ? 1 : 0, items.length]
    for (const i of items) args.push(ALGO[i.rule.algorithm], i.cost, i.rule.limit, i.rule.windowMs)
    const { now, status, fields } = await ask({ keys: items.map((i) => keyFor(i.key)), args })
    if (status === -1) throw late()
    return items.map((item, n) => {
      const [ok, a, b, c] = fields.slice(n * 4, n * 4 + 4) as [number, string, string, string]
      const { decision } = rateLimitStep(item.rule, before(item.rule, a, b, c, now), item.cost, now)
      decision.allowed = ok === 1 // the script decided; the arithmetic only derives the numbers
      return decision
    })
  }
  return {
    consume: async (key, cost, rule) => (await run([{ key, cost, rule }], false))[0]!,
    consumeAll: (items) => run(items, false),
    peek: async (key, rule) => (await run([{ key, cost: 0, rule }], true))[0]!,
    async reset(key) {
      await client.del([keyFor(key)])
    },
  }
}
