import { describe, expect, it } from 'vitest'
import { memoryStore } from '../memory/memory-store'
import { CostTracker, type ThresholdEvent } from './cost-tracker'
import { costOf } from './estimate'
import { DEFAULT_PRICES } from './prices'

const tiers = {
  free: { budget: { daily: 0.1, monthly: 2 } },
  premium: { budget: { daily: 5, monthly: 100 } },
  superadmin: { unlimited: true },
}

describe('CostTracker', () => {
  it('prices DeepSeek cache hits at the cached rate', () => {
    const price = DEFAULT_PRICES.models['deepseek-chat']!
    const noHit = costOf(price, { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 })
    const allHit = costOf(price, {
      prompt_tokens: 1_000_000,
      completion_tokens: 0,
      total_tokens: 1_000_000,
      prompt_cache_hit_tokens: 1_000_000,
      prompt_cache_miss_tokens: 0,
    })
    expect(noHit).toBeCloseTo(0.28)
    expect(allHit).toBeCloseTo(0.028)
  })

  it('200 concurrent reservations cannot overspend a daily budget', async () => {
    const cost = new CostTracker({ store: memoryStore(), tiers })
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => cost.reserve('ana', 'free', 0.003)),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    expect(ok).toHaveLength(33) // 33 × 0.003 = 0.099 ≤ 0.10; the 34th would pass it
    const denied = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(denied.reason).toMatchObject({
      code: 'budget_exceeded',
      message: 'budget: the daily budget of $0.1 is spent',
      details: { period: 'day', limitUsd: 0.1 },
    })
    expect(denied.reason.retryAfterMs).toBeGreaterThan(0)
    expect(await cost.spend('ana', 'day')).toBeCloseTo(0.099)
  })

  it('a memory store full of live budget periods refuses with details.reason memory_full', async () => {
    // Two budgeted users' day and month keys fill a cap of four; the third user's are refused.
    const cost = new CostTracker({ store: memoryStore({ maxKeys: 4 }), tiers })
    await cost.reserve('ana', 'free', 0.001)
    await cost.reserve('ben', 'free', 0.001)
    await expect(cost.reserve('cleo', 'free', 0.001)).rejects.toMatchObject({
      code: 'store_unavailable',
      details: { reason: 'memory_full', maxKeys: 4 },
    })
    expect(await cost.spend('ana', 'day')).toBeCloseTo(0.001)
  })

  it('settle replaces the reservation by the real cost and records a row', async () => {
    const cost = new CostTracker({ tiers })
    const r = await cost.reserve('bob', 'free', 0.05)
    const usd = await cost.settle(r, {
      model: 'deepseek-chat',
      usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 },
      provider: 'deepseek',
      endpoint: 'translate',
    })
    expect(usd).toBeCloseTo((1000 * 0.28 + 1000 * 0.42) / 1e6)
    expect(await cost.spend('bob')).toBeCloseTo(usd)
    await cost.release(await cost.reserve('bob', 'free', 0.05))
    expect(await cost.spend('bob')).toBeCloseTo(usd)
    const report = await cost.report()
    expect(report).toMatchObject({ requests: 1, byTier: { free: usd }, byModel: { 'deepseek-chat': usd } })
  })

  it("the memory store's rows past maxUsageRows roll up into daily lines: the report still counts every call", async () => {
    const cost = new CostTracker({ store: memoryStore({ maxUsageRows: 3 }), tiers })
    let spent = 0
    for (let i = 0; i < 10; i++) {
      const user = i % 2 === 0 ? 'ana' : 'bo'
      spent += await cost.settle(await cost.reserve(user, 'free', 0.001), {
        model: 'deepseek-chat',
        usage: { prompt_tokens: 100, completion_tokens: 100, total_tokens: 200 },
        endpoint: 'translate',
      })
    }
    const report = await cost.report()
    expect(report.requests).toBe(10)
    expect(report.totalUsd).toBeCloseTo(spent)
    expect(report.byUser).toMatchObject({ ana: expect.closeTo(spent / 2), bo: expect.closeTo(spent / 2) })
  })

  it('fires threshold events at 80% and 100%', async () => {
    const cost = new CostTracker({ tiers })
    const events: ThresholdEvent[] = []
    cost.events.on('budget:threshold', (e) => events.push(e))
    await cost.reserve('carla', 'free', 0.05)
    await cost.reserve('carla', 'free', 0.035)
    await cost.reserve('carla', 'free', 0.015)
    expect(events.map((e) => [e.period, e.ratio])).toEqual([
      ['day', 0.8],
      ['day', 1],
    ])
  })

  it('superadmin is never refused; spend is still counted', async () => {
    const cost = new CostTracker({ tiers })
    for (let i = 0; i < 5; i++) {
      const r = await cost.reserve('root', 'superadmin', 10)
      await cost.settle(r, {
        model: 'deepseek-chat',
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      })
    }
    expect(await cost.spend('root')).toBeGreaterThan(0)
  })

  it('fails closed when the store fails', async () => {
    const broken = { name: 'broken', usage: { reserve: () => Promise.reject(new Error('down')) } } as never
    const cost = new CostTracker({ store: broken, tiers })
    await expect(cost.reserve('u', 'free', 0.01)).rejects.toMatchObject({ code: 'store_unavailable' })
    const open = new CostTracker({ store: broken, tiers, onStoreError: 'open' })
    expect((await open.reserve('u', 'free', 0.01)).limits).toEqual([]) // through, with nothing reserved
  })

  it('refuses bad reservations with invalid_request and leaves spend untouched', async () => {
    const cost = new CostTracker({ tiers })
    await expect(cost.reserve('u', 'free', -1)).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'amountUsd',
    })
    await expect(cost.reserve('u', 'free', Number.NaN)).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'amountUsd',
    })
    await expect(cost.reserve('', 'free', 0.01)).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'userId',
    })
    expect(await cost.spend('u')).toBe(0)
  })

  it('a spent budget is still spent after 60,000 other users', async () => {
    const cost = new CostTracker({ store: memoryStore(), tiers })
    await cost.reserve('ana', 'free', 0.1)
    await expect(cost.reserve('ana', 'free', 0.001)).rejects.toMatchObject({ code: 'budget_exceeded' })
    let refusedForRoom = 0
    for (let i = 0; i < 60_000; i++) {
      await cost.reserve(`user-${i}`, 'free', 0.001).catch((e) => {
        if (e.code === 'store_unavailable') refusedForRoom++ // full of live periods: budgets fail closed
      })
    }
    expect(await cost.spend('ana')).toBeCloseTo(0.1)
    await expect(cost.reserve('ana', 'free', 0.001)).rejects.toMatchObject({ code: 'budget_exceeded' })
    expect(refusedForRoom).toBe(60_000 - 49_999) // two counters a user (day, month); ana holds two of the 100,000
  }, 60_000)

  it('fires each threshold once per period, also when a settle takes the spend back under it', async () => {
    const cost = new CostTracker({ tiers })
    const events: number[] = []
    cost.events.on('budget:threshold', (e) => events.push(e.ratio))
    const r = await cost.reserve('dora', 'free', 0.085) // 85%
    await cost.settle(r, {
      model: 'deepseek-chat',
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    })
    await cost.reserve('dora', 'free', 0.09) // 90% again
    await expect(cost.reserve('dora', 'free', 0.02)).rejects.toMatchObject({ code: 'budget_exceeded' })
    await expect(cost.reserve('dora', 'free', 0.02)).rejects.toMatchObject({ code: 'budget_exceeded' })
    expect(events).toEqual([0.8, 1])
  })
})
