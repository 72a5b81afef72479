import { describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { memoryStore } from '../memory/memory-store'
import { CacheService } from './cache-service'

describe('CacheService', () => {
  it('keys are canonical: key order in the input does not matter', async () => {
    const cache = new CacheService()
    await cache.set('translation', { text: 'hola', target_lang: 'en' }, 'hello')
    expect(await cache.get('translation', { target_lang: 'en', text: 'hola' })).toBe('hello')
    const key = await cache.key('translation', { text: 'hola' })
    expect(key).toMatch(/^sluice:cache:translation:g:[0-9a-f]{64}$/)
  })

  it('TTL per type', async () => {
    let now = 0
    const cache = new CacheService({
      store: memoryStore({ now: () => now }),
      ttl: { translation: '24h', correction: '1h' },
    })
    await cache.set('translation', 'a', 1)
    await cache.set('correction', 'a', 2)
    now = 2 * 3_600_000
    expect(await cache.get('translation', 'a')).toBe(1)
    expect(await cache.get('correction', 'a')).toBeUndefined()
  })

  it('user scope never serves one user the answer of another', async () => {
    const cache = new CacheService({ userScoped: ['teacher'] })
    await cache.set('teacher', 'how am I doing?', 'Ana, great progress', { userId: 'ana' })
    expect(await cache.get('teacher', 'how am I doing?', { userId: 'bob' })).toBeUndefined()
    expect(await cache.get('teacher', 'how am I doing?', { userId: 'ana' })).toBe('Ana, great progress')
    await expect(cache.get('teacher', 'x')).rejects.toMatchObject({ code: 'invalid_request', path: 'userId' })
  })

  it('invalidates by type, exact input, a user, or a type prefix', async () => {
    const cache = new CacheService()
    await cache.set('translation', 'a', 1)
    await cache.set('translation', 'b', 2)
    await cache.set('transcript', 'c', 3)
    await cache.set('correction', 'd', 4)
    await cache.set('tutor', 'e', 5, { scope: 'user', userId: 'ana' })
    expect(await cache.invalidate({ type: 'translation', input: 'a' })).toBe(1)
    expect(await cache.get('translation', 'b')).toBe(2)
    expect(await cache.invalidate({ type: 'tutor', userId: 'ana' })).toBe(1)
    expect(await cache.invalidate({ prefix: 'trans' })).toBe(2)
    expect(await cache.get('correction', 'd')).toBe(4)
    expect(await cache.invalidate({ type: 'correction' })).toBe(1)
  })

  it('counts hits and misses; identical concurrent calls run once', async () => {
    const cache = new CacheService()
    let runs = 0
    const fn = async () => {
      runs++
      await new Promise((r) => setTimeout(r, 20))
      return 'answer'
    }
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.wrap('q', { q: 1 }, fn)))
    expect(runs).toBe(1)
    expect(results.filter((r) => r.shared)).toHaveLength(19)
    const again = await cache.wrap('q', { q: 1 }, fn)
    expect(again).toEqual({ value: 'answer', hit: true, shared: false })
    const stats = await cache.stats()
    expect(stats).toEqual({ hits: 1, misses: 20, hitRate: 1 / 21 })
  })

  it('refuses input that cannot be a key with invalid_request, and caches nothing', async () => {
    const cache = new CacheService()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    await expect(cache.set('t', circular, 1)).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'input',
    })
    await expect(cache.get('t', { n: 10n })).rejects.toMatchObject({ code: 'invalid_request', path: 'input' })
    await expect(cache.get('', 'x')).rejects.toMatchObject({ code: 'invalid_request', path: 'cache.type' })
    expect(await cache.stats()).toMatchObject({ hits: 0, misses: 0 })
  })

  it("single-flight across instances: followers read the leader's answer, and take over if it dies", async () => {
    // The memory store's ports, seen as a store other processes share: the lock protocol runs.
    const store = { ...memoryStore(), local: false }
    const [a, b] = [
      new CacheService({ store, flightLease: 300 }),
      new CacheService({ store, flightLease: 300 }),
    ]
    let runs = 0
    const slow = async () => {
      runs++
      await new Promise((r) => setTimeout(r, 50))
      return `answer ${runs}`
    }
    const [x, y] = await Promise.all([a.wrap('q', 'same', slow), b.wrap('q', 'same', slow)])
    expect(runs).toBe(1)
    expect([x.value, y.value]).toEqual(['answer 1', 'answer 1'])
    expect([x.shared, y.shared].sort()).toEqual([false, true])
    // A leader that died: its lock stays until the lease lapses, then a follower leads.
    const key = await a.key('q', 'orphan')
    await store.cache.setIfAbsent(`${key}:lock`, 'an instance that crashed', 300)
    const taken = await b.wrap('q', 'orphan', slow)
    expect(taken).toMatchObject({ value: 'answer 2', hit: false, shared: false })
  })

  it('instances on one in-process store share their flights without a lock', async () => {
    const store = memoryStore()
    const [a, b] = [new CacheService({ store }), new CacheService({ store })]
    const lock = `${await a.key('q', 'same')}:lock`
    const locks: (string | undefined)[] = []
    let runs = 0
    const slow = async () => {
      runs++
      locks.push(await store.cache.get(lock))
      await new Promise((r) => setTimeout(r, 20))
      return `answer ${runs}`
    }
    const [x, y] = await Promise.all([a.wrap('q', 'same', slow), b.wrap('q', 'same', slow)])
    expect(runs).toBe(1)
    expect(locks).toEqual([undefined]) // the leader ran without taking a lock in the store
    expect([x.value, y.value]).toEqual(['answer 1', 'answer 1'])
    expect([x.shared, y.shared].sort()).toEqual([false, true])
    expect(await b.get('q', 'same')).toBe('answer 1')
  })

  it('a store that is down is bypassed: lookups miss, answers are not stored, nothing throws', async () => {
    const down = () => Promise.reject(new SluiceError('store_unavailable', 'down'))
    const store = {
      name: 'down',
      local: true,
      cache: {
        get: down,
        set: down,
        setIfAbsent: down,
        extendIf: down,
        delete: down,
        deleteIf: down,
        deletePrefix: down,
      },
      metrics: memoryStore().metrics,
    }
    const cache = new CacheService({ store: store as never })
    let runs = 0
    const fn = async () => ++runs
    expect((await cache.wrap('t', 'x', fn)).value).toBe(1)
    expect((await cache.wrap('t', 'x', fn)).value).toBe(2)
    expect(await cache.get('t', 'x')).toBeUndefined()
  })
})
