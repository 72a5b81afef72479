import { fileURLToPath } from 'node:url'
import { CostTracker, createSluice, RateLimiter, SluiceError } from '@sluice/core'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { runTogether } from '../../../scripts/processes'
import { deleteKeys, scanKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { runSustained } from '../../../scripts/sustained-check'
import { usageRow } from '../../../scripts/usage-row'
import { redisStore } from '../src'

const client = new Redis(REDIS_URL)
const prefix = `t_redis_store_${process.pid}_${Date.now().toString(36)}`

afterAll(async () => {
  await deleteKeys(client, `${prefix}*`)
  await client.quit()
})

describe('redisStore', () => {
  it('holds every port, the queue too', async () => {
    const provider = {
      name: 'p',
      models: ['m'],
      defaultModel: 'm',
      chat: async () => ({}) as never,
      stream: async function* () {},
    }
    const sluice = createSluice({
      store: redisStore({ client, prefix: `${prefix}_report` }),
      providers: [provider],
    })
    expect(sluice.storeReport()).toEqual({
      rateLimit: 'store',
      cache: 'store',
      usage: 'store',
      queue: 'store',
      breaker: 'store',
      metrics: 'store',
    })
    await sluice.close()
  })

  it('housekeeping rolls old usage rows, and the oldest past nine tenths of the cap, into daily totals: reports unchanged', async () => {
    const p = `${prefix}_rollup`
    const store = redisStore({
      client,
      prefix: p,
      housekeeping: '50ms',
      usageRollupAfter: '30d',
      maxUsageRows: 40,
    })
    const old = Date.now() - 35 * 86_400_000
    // 30 rows 35 days old (rolled up by age), then 50 fresh ones (past the cap's nine tenths: the
    // oldest of them roll up too).
    const rowsKept = async () => Number(await client.zcard(`${p}:{usage:rows}`))
    const settled = async () => {
      const deadline = Date.now() + 10_000
      while ((await rowsKept()) > 36 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    }
    for (let i = 0; i < 30; i++)
      await store.usage!.settle([], usageRow(`u${i % 3}`, 0.001, old + i, i % 10 === 0))
    // Four at a time (the room between nine tenths of the cap and the cap), each four given a turn
    // of housekeeping: a burst past the cap itself drops rows.
    for (let i = 0; i < 50; i++) {
      if (i % 4 === 0) await settled()
      await store.usage!.settle([], usageRow(`f${i % 5}`, 0.002, Date.now()))
    }
    await settled()
    const since = old - 86_400_000
    await new Promise((r) => setTimeout(r, 200))
    // Nine tenths of 40 after a turn; eight tenths after a roll-up the rows' own writes asked for.
    const kept = await rowsKept()
    expect(kept).toBeGreaterThanOrEqual(32)
    expect(kept).toBeLessThanOrEqual(36)
    const report = await new CostTracker({ store }).report({ since })
    expect(report.requests).toBe(80)
    expect(report.cachedRequests).toBe(3)
    expect(report.tokens).toBe(80 * 15)
    expect(Math.round(report.byUser.u0! * 1e6)).toBe(10_000)
    expect(Math.round(report.byUser.f0! * 1e6)).toBe(20_000)
    expect(Math.round(report.totalUsd * 1e6)).toBe(130_000)
    expect(report.lines.find((l) => l.userId === 'u1')?.requests).toBe(10)
    const rolled = (await store.usage!.rows(since)).filter((r) => r.requests !== undefined)
    expect(rolled.map((r) => r.requests).reduce((a, b) => a! + b!, 0)).toBe(80 - kept) // 30 old + the fresh ones
    await store.close?.()
  })

  it('a burst of usage rows faster than housekeeping rolls up as it nears the cap: no row is dropped', async () => {
    const p = `${prefix}_burst`
    // Housekeeping's turn never comes in this test: only the writes themselves can ask for a roll-up.
    const store = redisStore({ client, prefix: p, housekeeping: '1h', maxUsageRows: 100 })
    for (let i = 0; i < 400; i++) await store.usage!.settle([], usageRow(`b${i % 4}`, 0.001, Date.now()))
    const deadline = Date.now() + 10_000
    while (Number(await client.zcard(`${p}:{usage:rows}`)) > 90 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    const report = await new CostTracker({ store }).report()
    expect(report.requests).toBe(400)
    expect(Math.round(report.totalUsd * 1e6)).toBe(400_000)
    expect(Math.round(report.byUser.b3! * 1e6)).toBe(100_000)
    expect(Number(await client.zcard(`${p}:{usage:rows}`))).toBeLessThanOrEqual(100)
    await store.close?.()
  })

  it('refuses a missing client and a bad prefix with invalid_config', () => {
    expect(() => redisStore({} as never)).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'redisStore.client' }),
    )
    expect(() => redisStore({ client, prefix: 'has space' })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'redisStore.prefix' }),
    )
    expect(() => redisStore({ client, housekeeping: 0 })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'redisStore.housekeeping' }),
    )
  })

  it("keeps a user's counters under the prefix in one hash-tag slot, with an expiry", async () => {
    const p = `${prefix}_raw`
    const limiter = new RateLimiter({
      store: redisStore({ client, prefix: p }),
      limits: { ask: { limit: 3, window: '1m', algorithm: 'fixed-window' } },
      tiers: { free: { dailyTotal: 10 } },
    })
    await limiter.limit({ userId: 'user:{1}', endpoint: 'ask', tier: 'free' })
    await limiter.limit({ userId: 'user:{1}', endpoint: 'ask', tier: 'free' })
    const keys = (await scanKeys(client, `${p}:*`)).sort()
    expect(keys).toHaveLength(2) // the daily total and the endpoint limit
    const slots = keys.map((k) => /^[^{]*\{([^{}]+)\}/.exec(k)?.[1])
    expect(slots[0]).toBe('user%253A%257B1%257D') // the user id, encoded: one slot for both
    expect(slots[1]).toBe(slots[0])
    const endpointKey = keys.find((k) => k.includes('rl'))!
    expect((await client.get(endpointKey))?.split(' ')[1]).toBe('2') // window, count, previous count
    expect((await client.get(keys.find((k) => k.includes('daily'))!))?.split(' ')[1]).toBe('2')
    const ttlKey = endpointKey
    const ttl = await client.pttl(ttlKey)
    expect(ttl).toBeGreaterThan(60_000)
    expect(ttl).toBeLessThanOrEqual(120_000)
  })

  it('turns a dead connection into store_unavailable, and the limiter fails open or closed as told', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    })
    const store = redisStore({ client: dead })
    const rule = { algorithm: 'fixed-window' as const, limit: 1, windowMs: 60_000 }
    const error = await store.rateLimit!.consume('k', 1, rule).catch((e) => e)
    expect(SluiceError.is(error, 'store_unavailable')).toBe(true)
    const limits = { ask: { limit: 1, window: '1m' as const } }
    const open = new RateLimiter({ store, limits, onStoreError: 'open' })
    expect((await open.limit({ userId: 'u', endpoint: 'ask' })).allowed).toBe(true)
    expect((await open.limit({ userId: 'u', endpoint: 'ask' })).allowed).toBe(false) // the in-memory insurance still limits
    const closed = new RateLimiter({ store, limits, onStoreError: 'closed' })
    await expect(closed.limit({ userId: 'u', endpoint: 'ask' })).rejects.toMatchObject({
      code: 'store_unavailable',
    })
    dead.disconnect()
  })

  it('sustained: 4 processes × 24 callers for 6 windows of each algorithm; every window within its bound', async () => {
    const script = fileURLToPath(new URL('./fixtures/sustain.mjs', import.meta.url))
    const args = [`${prefix}_sustained`, '6500']
    const { outputs, report } = await runSustained('redis', script, args, { ...process.env, REDIS_URL })
    expect(outputs.map((o) => [o.errors, o.error])).toEqual(outputs.map(() => [0, '']))
    for (const { problems } of Object.values(report)) expect(problems).toEqual([])
    expect(report.fixed!.windows.length).toBeGreaterThanOrEqual(6)
  }, 60_000)

  for (const algorithm of ['fixed-window', 'sliding-window', 'sliding-log', 'token-bucket']) {
    it(`${algorithm}: 3 processes × 200 concurrent calls on one key admit exactly the limit`, async () => {
      const script = fileURLToPath(new URL('./fixtures/hammer.mjs', import.meta.url))
      const p = `${prefix}_mp_${algorithm}`
      const args = [p, algorithm, '250', '200']
      const outputs = await runTogether<{ allowed: number; denied: number }>(script, [args, args, args], {
        ...process.env,
        REDIS_URL,
      })
      const sum = (k: 'allowed' | 'denied') => outputs.reduce((n, o) => n + o[k], 0)
      // Every process made all its calls; together they got exactly the limit, whoever was first.
      expect(outputs.map((o) => o.allowed + o.denied)).toEqual([200, 200, 200])
      expect(sum('allowed')).toBe(250)
      expect(sum('denied')).toBe(350)
    })
  }
})
