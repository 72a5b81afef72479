import { describe, expect, it } from 'vitest'
import { CacheService } from '../../cache/cache-service'
import { cacheMiddleware, coalesceMiddleware } from './cache'
import { answer, chatCall, countingNext } from './test-calls'

describe('cache and coalesce', () => {
  it('a miss runs and is stored; the same request again is a hit that runs nothing', async () => {
    const cache = new CacheService({})
    const step = cacheMiddleware(cache)
    const next = countingNext(async () => answer('bonjour'))
    const first = chatCall('hello')
    expect((await step(first, next)).value).toMatchObject({ choices: [{ message: { content: 'bonjour' } }] })
    expect(first.meta.cached).toBe(false)
    const again = chatCall('hello', { userId: 'ben' }) // global scope: any user's
    const hit = await step(again, next)
    expect(again.meta.cached).toBe(true)
    expect(hit.value).toMatchObject({ choices: [{ message: { content: 'bonjour' } }] })
    expect(next.calls).toBe(1)
  })

  it('a call with the cache off passes through, read and written by nobody', async () => {
    const cache = new CacheService({})
    const step = cacheMiddleware(cache)
    const next = countingNext()
    const off = () => chatCall('hello', { cache: { enabled: false, type: 'ask' } })
    await step(off(), next)
    await step(off(), next)
    expect(next.calls).toBe(2)
    expect((await cache.stats()).hits).toBe(0)
  })

  it('identical calls in flight share one upstream call; the follower is marked coalesced', async () => {
    const cache = new CacheService({})
    const step = coalesceMiddleware(cache)
    let release = () => {}
    const next = countingNext(
      () =>
        new Promise((resolve) => {
          release = () => resolve(answer('shared'))
        }),
    )
    const [a, b] = [chatCall('same'), chatCall('same', { userId: 'ben' })]
    const both = Promise.all([step(a, next), step(b, next)])
    await new Promise((r) => setTimeout(r, 20))
    release()
    const [ra, rb] = await both
    expect(next.calls).toBe(1)
    expect(ra.value).toEqual(rb.value)
    expect([a.meta.coalesced, b.meta.coalesced].sort()).toEqual([false, true])
    expect(a.steps.cacheStored && b.steps.cacheStored).toBe(true) // the cache step stores nothing again
  })
})
