import { describe, expect, it } from 'vitest'
import { CacheService } from '../../cache/cache-service'
import { RateLimiter } from '../../rate-limit/rate-limiter'
import { admissionMiddleware } from './admission'
import { chatCall, countingNext } from './test-calls'

describe('admission', () => {
  it('admits up to the limit; past it, rate_limited with the facts, and nothing runs', async () => {
    const limiter = new RateLimiter({ limits: { ask: { limit: 2, window: '1m' } } })
    const admission = admissionMiddleware(limiter, 256)
    const next = countingNext()
    await admission(chatCall('a'), next)
    await admission(chatCall('b'), next)
    const e = await admission(chatCall('c'), next).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'rate_limited', details: { limit: 2, remaining: 0, scope: 'endpoint' } })
    expect((e as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0)
    expect(next.calls).toBe(2)
  })

  it("starts the call's cache lookup beside the limit check, for the cache step to await", async () => {
    const cache = new CacheService({})
    const call = chatCall()
    await admissionMiddleware(new RateLimiter({}), 256, cache)(call, countingNext())
    expect(call.steps.cacheLookup).toBeInstanceOf(Promise)
    expect(await call.steps.cacheLookup).toBeUndefined() // a miss
    expect(call.steps.cacheKey).toEqual(expect.any(String)) // hashed once, for cache and coalesce
    const off = chatCall('x', { cache: { enabled: false, type: 'ask' } })
    await admissionMiddleware(new RateLimiter({}), 256, cache)(off, countingNext())
    expect(off.steps.cacheLookup).toBeUndefined()
  })

  it('a token rule counts the prompt and the output bound', async () => {
    const limiter = new RateLimiter({ limits: { ask: { limit: 300, window: '1m', unit: 'tokens' } } })
    const admission = admissionMiddleware(limiter, 256)
    const next = countingNext()
    await admission(chatCall('short'), next) // a few prompt tokens + 256 of output
    await expect(admission(chatCall('again'), next)).rejects.toMatchObject({ code: 'rate_limited' })
    expect(next.calls).toBe(1)
  })
})
