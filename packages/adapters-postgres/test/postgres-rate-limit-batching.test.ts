import { RateLimiter } from '@sluice/core'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { postgresStore } from '../src'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 })
const base = `t_pg_rlb_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []

afterAll(async () => {
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

/** A store on this pool, counting the batch statements sent through it. */
function store(name: string) {
  const schema = `${base}_${name}`
  schemas.push(schema)
  const seen = { batches: 0 }
  const counted = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return (config: unknown, ...rest: unknown[]) => {
          const text = typeof config === 'string' ? config : (config as { text?: string })?.text
          if (text?.includes('rate_limit_batch(')) seen.batches++
          return (target.query as (...a: unknown[]) => unknown).call(target, config, ...rest)
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { store: postgresStore({ pool: counted, schema }), seen }
}

describe('PostgreSQL rate limits under concurrent callers', () => {
  it('decide the callers of one tick in one statement, each exact and all-or-nothing', async () => {
    const { store: s, seen } = store('a')
    const limiter = new RateLimiter({
      store: s,
      limits: {
        ask: { limit: 5, window: '1h', algorithm: 'fixed-window' },
        other: { limit: 100, window: '1h' },
      },
      tiers: { free: { dailyTotal: 7 } },
    })
    await limiter.limit({ userId: 'warm', endpoint: 'other', tier: 'free' }) // migrations done
    // 5 users × 12 calls at once, each call two counters (the endpoint's and the user's daily total).
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        limiter.limit({ userId: `u${i % 5}`, endpoint: 'ask', tier: 'free' }),
      ),
    )
    for (let u = 0; u < 5; u++) expect(decisions.filter((d, i) => i % 5 === u && d.allowed)).toHaveLength(5)
    expect(seen.batches).toBeGreaterThan(0)
    // The refused calls took nothing from the daily total: 2 of its 7 are left for each user.
    for (let u = 0; u < 5; u++) {
      const more = await Promise.all(
        [0, 1, 2].map(() => limiter.limit({ userId: `u${u}`, endpoint: 'other', tier: 'free' })),
      )
      expect(more.filter((d) => d.allowed)).toHaveLength(2)
    }
  })

  it('a burst on one key admits exactly the limit, for each algorithm', async () => {
    for (const algorithm of ['fixed-window', 'sliding-window', 'token-bucket'] as const) {
      const { store: s, seen } = store(algorithm.replace('-', '_'))
      const limiter = new RateLimiter({ store: s, limits: { ask: { limit: 100, window: '1h', algorithm } } })
      await limiter.limit({ userId: 'warm', endpoint: 'ask' })
      const decisions = await Promise.all(
        Array.from({ length: 500 }, () => limiter.limit({ userId: 'hot', endpoint: 'ask' })),
      )
      expect(decisions.filter((d) => d.allowed)).toHaveLength(100)
      expect(seen.batches).toBeGreaterThan(0)
    }
  })
})
