import type { BreakerPort } from '../store/breaker-port'
import type { CachePort } from '../store/cache-port'
import type { MetricsPort } from '../store/metrics-port'
import type { UsagePort } from '../store/usage-port'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'

export function cacheConformance(t: ConformanceApi, name: string, port: () => Promise<CachePort>): void {
  t.describe(`${name}: cache port`, () => {
    t.it(
      'get / set / delete with TTL',
      async () => {
        const p = await port()
        t.expect(await p.get('x')).toBeUndefined()
        await p.set('x', 'v1', 60_000)
        t.expect(await p.get('x')).toBe('v1')
        await p.set('short', 'v', 1000)
        await sleep(1100)
        t.expect(await p.get('short')).toBeUndefined()
        t.expect(await p.delete('x')).toBe(true)
        t.expect(await p.get('x')).toBeUndefined()
      },
      10_000,
    )

    t.it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
      const p = await port()
      const wins = await Promise.all(
        Array.from({ length: 50 }, (_, i) => p.setIfAbsent('lock', String(i), 60_000)),
      )
      t.expect(wins.filter(Boolean).length).toBe(1)
    })

    t.it('deletePrefix removes only keys under the prefix', async () => {
      const p = await port()
      await p.set('a:1', '1', 60_000)
      await p.set('a:2', '2', 60_000)
      await p.set('b:1', '3', 60_000)
      t.expect(await p.deletePrefix('a:')).toBe(2)
      t.expect(await p.get('b:1')).toBe('3')
    })
  })
}

export function usageConformance(t: ConformanceApi, name: string, port: () => Promise<UsagePort>): void {
  t.describe(`${name}: usage port`, () => {
    t.it('reserve is all-or-nothing and exact under 200 concurrent callers', async () => {
      const p = await port()
      const limits = [
        { key: 'day', limitUsd: 1, ttlMs: 60_000 },
        { key: 'month', limitUsd: 100, ttlMs: 60_000 },
      ]
      const results = await Promise.all(Array.from({ length: 200 }, () => p.reserve(0.01, limits)))
      t.expect(results.filter((r) => r.ok).length).toBe(100)
      t.expect(Math.round((await p.total('day')) * 100)).toBe(100)
      t.expect(Math.round((await p.total('month')) * 100)).toBe(100)
      const denied = results.find((r) => !r.ok)!
      t.expect(denied.deniedBy).toBe('day')
    })

    t.it('adjust settles a reservation to the real cost', async () => {
      const p = await port()
      const limits = [{ key: 'k', limitUsd: 1, ttlMs: 60_000 }]
      await p.reserve(0.5, limits)
      await p.adjust(-0.4, limits)
      t.expect(Math.round((await p.total('k')) * 1000)).toBe(100)
      t.expect((await p.reserve(0.9, limits)).ok).toBe(true)
    })

    t.it('records usage rows', async () => {
      const p = await port()
      const row = {
        userId: 'u',
        tier: 'free',
        endpoint: 'e',
        provider: 'p',
        model: 'm',
        promptTokens: 1,
        completionTokens: 2,
        cachedTokens: 0,
        costUsd: 0.5,
        cached: false,
        at: Date.now(),
      }
      await p.record(row)
      const rows = await p.rows(Date.now() - 60_000)
      t.expect(rows.length).toBe(1)
      t.expect(rows[0]!.costUsd).toBe(0.5)
    })
  })
}

export function breakerConformance(t: ConformanceApi, name: string, port: () => Promise<BreakerPort>): void {
  t.describe(`${name}: breaker port`, () => {
    t.it('compare-and-set: exactly one of many concurrent writers wins', async () => {
      const p = await port()
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => p.compareAndSet('prov', 0, { state: 'open', since: Date.now() })),
      )
      t.expect(wins.filter(Boolean).length).toBe(1)
      const state = await p.get('prov')
      t.expect(state?.state).toBe('open')
      t.expect(state?.version).toBe(1)
      t.expect(await p.compareAndSet('prov', 0, { state: 'closed', since: Date.now() })).toBe(false)
      t.expect(await p.compareAndSet('prov', 1, { state: 'half-open', since: Date.now() })).toBe(true)
    })
  })
}

export function metricsConformance(t: ConformanceApi, name: string, port: () => Promise<MetricsPort>): void {
  t.describe(`${name}: metrics port`, () => {
    t.it('counters add up under concurrency; sets count distinct members', async () => {
      const p = await port()
      await Promise.all(Array.from({ length: 100 }, () => p.incr('n', 1, 60_000)))
      t.expect(await p.get(['n', 'missing'])).toEqual([100, 0])
      await Promise.all(['a', 'b', 'a', 'c'].map((m) => p.addToSet('s', m, 60_000)))
      t.expect(await p.countSet('s')).toBe(3)
    })
  })
}
