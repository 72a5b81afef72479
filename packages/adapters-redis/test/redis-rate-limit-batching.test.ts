import { RateLimiter } from '@sluice/core'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { redisStore } from '../src'

const client = new Redis(REDIS_URL)
const prefix = `t_rl_batch_${process.pid}_${Date.now().toString(36)}`

afterAll(async () => {
  await deleteKeys(client, `${prefix}*`)
  await client.quit()
})

/** The same client, counting the script calls sent through it. */
function counting(io: Redis) {
  const seen = { scripts: 0 }
  const proxy = new Proxy(io, {
    get(target, prop, receiver) {
      if (prop === 'evalsha' || prop === 'eval') {
        return (...args: unknown[]) => {
          seen.scripts++
          return (target[prop] as (...a: unknown[]) => unknown).apply(target, args)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { proxy, seen }
}

describe('Redis rate limits under concurrent callers', () => {
  it('send the decisions of one tick together, each still exact and all-or-nothing for its caller', async () => {
    const { proxy, seen } = counting(client)
    const limiter = new RateLimiter({
      store: redisStore({ client: proxy, prefix: `${prefix}_a` }),
      limits: {
        ask: { limit: 5, window: '1h', algorithm: 'fixed-window' },
        other: { limit: 100, window: '1h' },
      },
      tiers: { free: { dailyTotal: 7 } },
    })
    // 5 users × 12 calls at once, each call two counters (the endpoint's and the user's daily total).
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        limiter.limit({ userId: `u${i % 5}`, endpoint: 'ask', tier: 'free' }),
      ),
    )
    for (let u = 0; u < 5; u++) expect(decisions.filter((d, i) => i % 5 === u && d.allowed)).toHaveLength(5)
    expect(seen.scripts).toBeGreaterThan(0)
    expect(seen.scripts).toBeLessThan(60)
    // The refused calls took nothing from the daily total: 2 of its 7 are left for each user.
    for (let u = 0; u < 5; u++) {
      const more = await Promise.all(
        [0, 1, 2].map(() => limiter.limit({ userId: `u${u}`, endpoint: 'other', tier: 'free' })),
      )
      expect(more.map((d) => d.allowed)).toEqual([true, true, false])
    }
  })

  it('a burst on one key admits exactly the limit, in batches', async () => {
    const { proxy, seen } = counting(client)
    const limiter = new RateLimiter({
      store: redisStore({ client: proxy, prefix: `${prefix}_b` }),
      limits: { ask: { limit: 100, window: '1h', algorithm: 'sliding-window' } },
    })
    const decisions = await Promise.all(
      Array.from({ length: 500 }, () => limiter.limit({ userId: 'hot', endpoint: 'ask' })),
    )
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100)
    expect(decisions.filter((d) => !d.allowed)).toHaveLength(400)
    expect(seen.scripts).toBeLessThan(500)
  })
})
