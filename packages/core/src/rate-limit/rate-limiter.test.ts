import { describe, expect, it } from 'vitest'
import { memoryStore } from '../memory/memory-store'
import { RateLimiter } from './rate-limiter'

const tiers = {
  free: { limits: { check_answer: { max: 3, window: '60s' as const } }, dailyTotal: 5 },
  premium: { limits: { check_answer: { max: 10, window: '60s' as const } }, dailyTotal: 1000 },
  superadmin: { unlimited: true },
}

describe('RateLimiter', () => {
  it('applies per-tier limits per user and endpoint, and never throws for a denial', async () => {
    const limiter = new RateLimiter({ store: memoryStore(), tiers })
    const free = await Promise.all(
      Array.from({ length: 5 }, () =>
        limiter.limit({ userId: 'ana', endpoint: 'check_answer', tier: 'free' }),
      ),
    )
    expect(free.map((r) => r.allowed)).toEqual([true, true, true, false, false])
    const denied = free[3]!
    expect(denied).toMatchObject({ allowed: false, limit: 3, remaining: 0, scope: 'endpoint' })
    expect(denied.retryAfterMs).toBeGreaterThan(0)
    // Another user and another tier have their own counters.
    expect((await limiter.limit({ userId: 'bob', endpoint: 'check_answer', tier: 'free' })).allowed).toBe(
      true,
    )
    const premium = await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.limit({ userId: 'ana', endpoint: 'check_answer', tier: 'premium' }),
      ),
    )
    expect(premium.every((r) => r.allowed)).toBe(true)
  })

  it('superadmin is unlimited', async () => {
    const limiter = new RateLimiter({ tiers })
    const results = await Promise.all(
      Array.from({ length: 500 }, () =>
        limiter.limit({ userId: 'root', endpoint: 'check_answer', tier: 'superadmin' }),
      ),
    )
    expect(results.every((r) => r.allowed)).toBe(true)
  })

  it('enforces the daily total across endpoints; a call denied by an endpoint limit does not use the daily total', async () => {
    const limiter = new RateLimiter({ tiers, limits: { translate: { limit: 100, window: '1m' } } })
    const u = { userId: 'carla', tier: 'free' }
    for (let i = 0; i < 3; i++)
      expect((await limiter.limit({ ...u, endpoint: 'check_answer' })).allowed).toBe(true)
    expect((await limiter.limit({ ...u, endpoint: 'check_answer' })).allowed).toBe(false) // endpoint limit, daily unit returned
    expect((await limiter.limit({ ...u, endpoint: 'translate' })).allowed).toBe(true)
    expect((await limiter.limit({ ...u, endpoint: 'translate' })).allowed).toBe(true)
    const over = await limiter.limit({ ...u, endpoint: 'translate' })
    expect(over).toMatchObject({ allowed: false, scope: 'daily', limit: 5 })
  })

  it('token rules charge the call by its tokens (TPM limits)', async () => {
    const limiter = new RateLimiter({
      limits: { chat: { limit: 6000, window: '1m', unit: 'tokens', algorithm: 'token-bucket' } },
    })
    expect((await limiter.limit({ userId: 'u', endpoint: 'chat', tokens: 5000 })).allowed).toBe(true)
    const denied = await limiter.limit({ userId: 'u', endpoint: 'chat', tokens: 2000 })
    expect(denied.allowed).toBe(false)
    expect(denied.remaining).toBe(1000)
  })

  it('is exact under 300 concurrent callers', async () => {
    const limiter = new RateLimiter({
      limits: { ask: { limit: 120, window: '1h', algorithm: 'fixed-window' } },
    })
    const results = await Promise.all(
      Array.from({ length: 300 }, () => limiter.limit({ userId: 'u', endpoint: 'ask' })),
    )
    expect(results.filter((r) => r.allowed)).toHaveLength(120)
  })

  it('rejects bad input with invalid_request naming the field', async () => {
    const limiter = new RateLimiter({ tiers, limits: { ask: { limit: 5, window: '1m' } } })
    await expect(limiter.limit({ userId: '', endpoint: 'ask' })).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'userId',
    })
    await expect(limiter.limit({ userId: 'u', endpoint: 'ask', tier: 'gold' })).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'tier',
    })
    await expect(limiter.limit({ userId: 'u', endpoint: 'ask', cost: -2 })).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'cost',
    })
    await expect(limiter.limit({ userId: 'u', endpoint: 'ask', cost: 6 })).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'cost',
    })
    // Nothing was consumed by the refused calls.
    expect((await limiter.limit({ userId: 'u', endpoint: 'ask', cost: 5 })).allowed).toBe(true)
  })

  it('refuses bad config with invalid_config naming the path', () => {
    expect(() => new RateLimiter({ limits: { ask: { limit: 5, window: 60 } } })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'rateLimiter.limits.ask.window' }),
    )
    expect(() => new RateLimiter({ limits: { ask: { window: '1m' } as never } })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'rateLimiter.limits.ask.limit' }),
    )
  })
})
