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

  it('a user blocked at 5/h stays blocked after 100,001 other users make one call each', async () => {
    const limiter = new RateLimiter({
      store: memoryStore(), // the default cap: 100,000 keys
      limits: { ask: { limit: 5, window: '1h', algorithm: 'fixed-window' } },
    })
    for (let i = 0; i < 5; i++) await limiter.limit({ userId: 'blocked', endpoint: 'ask' })
    expect((await limiter.limit({ userId: 'blocked', endpoint: 'ask' })).allowed).toBe(false)
    let others = 0
    for (let i = 0; i <= 100_000; i++)
      if ((await limiter.limit({ userId: `other-${i}`, endpoint: 'ask' })).allowed) others++
    expect(others).toBe(100_001) // past the cap they are limited by the in-process insurance (fail open)
    for (let i = 0; i < 5; i++)
      expect((await limiter.limit({ userId: 'blocked', endpoint: 'ask' })).allowed).toBe(false)
  }, 60_000)

  it('expired windows make room: a full store keeps working as old windows end', async () => {
    let now = 1_000_000
    const store = memoryStore({ maxKeys: 100, now: () => now })
    const limiter = new RateLimiter({
      store,
      limits: { ask: { limit: 1, window: '1s', algorithm: 'fixed-window' } },
    })
    const strict = new RateLimiter({
      store,
      onStoreError: 'closed',
      limits: { ask: { limit: 1, window: '1s' } },
    })
    for (let i = 0; i < 100; i++) await limiter.limit({ userId: `a${i}`, endpoint: 'ask' })
    // Full of live windows: a new key is refused, and a closed policy says so.
    await expect(strict.limit({ userId: 'late', endpoint: 'ask' })).rejects.toMatchObject({
      code: 'store_unavailable',
      details: { reason: 'memory_full', maxKeys: 100 },
    })
    now += 2_001 // every window (kept for two) has ended
    for (let i = 0; i < 100; i++)
      expect((await strict.limit({ userId: `b${i}`, endpoint: 'ask' })).allowed).toBe(true)
    expect((await strict.limit({ userId: 'b0', endpoint: 'ask' })).allowed).toBe(false)
  })

  it("a tier's defaultLimit holds each endpoint no limits name, apart; named endpoints keep their rules", async () => {
    const limiter = new RateLimiter({
      limits: { translate: { limit: 1, window: '1m' } },
      defaultLimit: { limit: 5, window: '1m' },
      tiers: { free: { defaultLimit: { limit: 2, window: '1m' } }, premium: {} },
    })
    const allowed = async (endpoint: string, tier: string, n: number) => {
      const results = []
      for (let i = 0; i < n; i++) results.push((await limiter.limit({ userId: 'u', endpoint, tier })).allowed)
      return results.filter(Boolean).length
    }
    expect(await allowed('chat', 'free', 4)).toBe(2) // the tier's default
    expect(await allowed('summarise', 'free', 4)).toBe(2) // counted apart from chat
    expect(await allowed('translate', 'free', 3)).toBe(1) // a named endpoint keeps its rule
    expect(await allowed('chat', 'premium', 7)).toBe(5) // no default of its own: the top level's
  })

  it('endpoint and tier names like constructor, __proto__ or toString are names like any other', async () => {
    const limiter = new RateLimiter({
      defaultLimit: { limit: 2, window: '1m' },
      tiers: JSON.parse('{"free": {}, "constructor": {"dailyTotal": 1}, "__proto__": {"unlimited": true}}'),
    })
    for (const endpoint of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const results = []
      for (let i = 0; i < 3; i++)
        results.push((await limiter.limit({ userId: 'u', endpoint, tier: 'free' })).allowed)
      expect(results).toEqual([true, true, false])
    }
    for (const tier of ['toString', 'hasOwnProperty', 'valueOf']) {
      await expect(limiter.limit({ userId: 'u', endpoint: 'e', tier })).rejects.toMatchObject({
        code: 'invalid_request',
        path: 'tier',
      })
    }
    expect((await limiter.limit({ userId: 'v', endpoint: 'e', tier: 'constructor' })).allowed).toBe(true)
    expect((await limiter.limit({ userId: 'v', endpoint: 'e', tier: 'constructor' })).scope).toBe('daily')
    expect((await limiter.limit({ userId: 'v', endpoint: 'e', tier: '__proto__' })).scope).toBe('none')
  })

  it('refuses ids a key cannot hold: lone surrogates, blanks, control characters', async () => {
    const limiter = new RateLimiter({ limits: { ask: { limit: 2, window: '1m' } } })
    for (const userId of ['\ud800', 'a\udc00b', '   ', 'line\nbreak', 'nul\u0000', '\u007f']) {
      await expect(limiter.limit({ userId, endpoint: 'ask' })).rejects.toMatchObject({
        code: 'invalid_request',
        path: 'userId',
      })
    }
    await expect(limiter.limit({ userId: 'u', endpoint: '\ud83d' })).rejects.toMatchObject({
      path: 'endpoint',
    })
    expect((await limiter.limit({ userId: 'ünï 😀 用户', endpoint: 'ask' })).allowed).toBe(true)
  })

  it('a limit holds exactly while thousands of other endpoint and tier names come and go', async () => {
    const limiter = new RateLimiter({ defaultLimit: { limit: 3, window: '1h' } })
    const call = () => limiter.limit({ userId: 'u', endpoint: 'ask', tier: 'gold' })
    expect((await call()).allowed).toBe(true)
    for (let i = 0; i < 3_000; i++) await limiter.limit({ userId: 'u', endpoint: `e${i}`, tier: `t${i % 7}` })
    expect((await call()).allowed).toBe(true)
    expect((await call()).allowed).toBe(true)
    expect(await call()).toMatchObject({ allowed: false, remaining: 0 })
  })
})
