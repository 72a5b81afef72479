import type { BreakerPort } from '../store/breaker-port'
import type { CachePort } from '../store/cache-port'
import type { MetricsPort } from '../store/metrics-port'
import type { UsagePort, UsageRow } from '../store/usage-port'
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

    t.it(
      'a lock is renewed and released only by its owner',
      async () => {
        const p = await port()
        t.expect(await p.setIfAbsent('lock', 'me', 1000)).toBe(true)
        t.expect(await p.extendIf('lock', 'you', 60_000)).toBe(false)
        t.expect(await p.deleteIf('lock', 'you')).toBe(false)
        t.expect(await p.extendIf('lock', 'me', 60_000)).toBe(true)
        await sleep(1100) // renewed: still held past its first TTL
        t.expect(await p.get('lock')).toBe('me')
        t.expect(await p.deleteIf('lock', 'me')).toBe(true)
        t.expect(await p.get('lock')).toBeUndefined()
        t.expect(await p.extendIf('lock', 'me', 1000)).toBe(false) // gone: nothing to renew
      },
      10_000,
    )

    t.it('values and keys round-trip exactly: JSON, quotes, unicode, large values', async () => {
      const p = await port()
      const big = JSON.stringify({ text: 'é🙂"\\\n'.repeat(20_000) })
      await p.set("k:o'b", big, 60_000)
      t.expect(await p.get("k:o'b")).toBe(big)
      await p.set('k:{x}', 'braces', 60_000)
      t.expect(await p.get('k:{x}')).toBe('braces')
      t.expect(await p.get('k:x')).toBeUndefined()
    })

    t.it(
      'pushes reach every subscriber of the channel, and only them (where the store has pub/sub)',
      async () => {
        const p = await port()
        if (!p.subscribe || !p.publish) return // a store without push (REST): followers poll instead
        const got: string[] = []
        const other: string[] = []
        const off = p.subscribe('flights', (m) => got.push(m))
        const offOther = p.subscribe('elsewhere', (m) => other.push(m))
        // A subscription takes a moment to be live on a server (SUBSCRIBE, LISTEN): publish until heard.
        for (let i = 0; i < 100 && got.length === 0; i++) {
          await p.publish('flights', 'key:1')
          await sleep(50)
        }
        t.expect(got[0]).toBe('key:1')
        t.expect(other.length).toBe(0)
        off()
        offOther()
      },
      10_000,
    )

    t.it('deletePrefix treats the prefix as text, not a pattern', async () => {
      const p = await port()
      await p.set('a*b:1', '1', 60_000)
      await p.set('a?b:1', '2', 60_000)
      await p.set('a[b]:1', '3', 60_000)
      await p.set('axb:1', '4', 60_000)
      t.expect(await p.deletePrefix('a*b:')).toBe(1)
      t.expect(await p.deletePrefix('a[b]')).toBe(1)
      t.expect(await p.get('a?b:1')).toBe('2')
      t.expect(await p.get('axb:1')).toBe('4')
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
  const row = (patch: Partial<UsageRow> = {}): UsageRow => ({
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
    ...patch,
  })
  t.describe(`${name}: usage port`, () => {
    t.it('reserve is all-or-nothing and exact under 200 concurrent callers', async () => {
      const p = await port()
      const limits = [
        { key: 'day:{u}', limitUsd: 1, ttlMs: 60_000 },
        { key: 'month:{u}', limitUsd: 100, ttlMs: 60_000 },
      ]
      const results = await Promise.all(Array.from({ length: 200 }, () => p.reserve(0.01, limits)))
      t.expect(results.filter((r) => r.ok).length).toBe(100)
      t.expect(Math.round((await p.total('day:{u}')) * 100)).toBe(100)
      t.expect(Math.round((await p.total('month:{u}')) * 100)).toBe(100)
      const denied = results.find((r) => !r.ok)!
      t.expect(denied.deniedBy).toBe('day:{u}')
    })

    t.it('a refused reservation changes no counter, not even the ones it fitted', async () => {
      const p = await port()
      const limits = [
        { key: 'month:{v}', limitUsd: 100, ttlMs: 60_000 },
        { key: 'day:{v}', limitUsd: 0.05, ttlMs: 60_000 },
      ]
      t.expect((await p.reserve(0.04, limits)).ok).toBe(true)
      const refused = await p.reserve(0.02, limits)
      t.expect(refused.ok).toBe(false)
      t.expect(refused.deniedBy).toBe('day:{v}')
      t.expect(Math.round((await p.total('month:{v}')) * 100)).toBe(4)
    })

    t.it('a spent budget refuses even a zero estimate', async () => {
      const p = await port()
      const limits = [{ key: 'zero:{w}', limitUsd: 0, ttlMs: 60_000 }]
      t.expect((await p.reserve(0, limits)).ok).toBe(false)
      const some = [{ key: 'some:{w}', limitUsd: 0.1, ttlMs: 60_000 }]
      t.expect((await p.reserve(0, some)).ok).toBe(true)
      t.expect((await p.reserve(0.1, some)).ok).toBe(true)
      t.expect((await p.reserve(0, some)).ok).toBe(false)
    })

    t.it('settle replaces a reservation by the real cost and records the row, in one call', async () => {
      const p = await port()
      const limits = [{ key: 'k:{x}', limitUsd: 1, ttlMs: 60_000 }]
      await p.reserve(0.5, limits)
      const after = await p.settle(
        [
          { key: 'k:{x}', deltaUsd: -0.4, ttlMs: 60_000 },
          { key: 'unbudgeted:{x}', deltaUsd: 0.1, ttlMs: 60_000 },
        ],
        row({ userId: 'x', costUsd: 0.1 }),
      )
      t.expect(Math.round((after['k:{x}'] ?? -1) * 1000)).toBe(100)
      t.expect(Math.round((after['unbudgeted:{x}'] ?? -1) * 1000)).toBe(100)
      t.expect(Math.round((await p.total('k:{x}')) * 1000)).toBe(100)
      t.expect((await p.reserve(0.9, limits)).ok).toBe(true)
      const rows = await p.rows(Date.now() - 60_000)
      t.expect(rows.length).toBe(1)
      t.expect(rows[0]!.userId).toBe('x')
      t.expect(rows[0]!.costUsd).toBe(0.1)
    })

    t.it('a counter never goes below zero; settle without a row records none', async () => {
      const p = await port()
      await p.settle([{ key: 'n:{y}', deltaUsd: 0.2, ttlMs: 60_000 }])
      const after = await p.settle([{ key: 'n:{y}', deltaUsd: -5, ttlMs: 60_000 }])
      t.expect(after['n:{y}']).toBe(0)
      t.expect(await p.total('n:{y}')).toBe(0)
      t.expect((await p.rows(0)).length).toBe(0)
    })

    t.it(
      'rows since a time, oldest first, with every field kept (the store may stamp its own time)',
      async () => {
        const p = await port()
        await p.settle([], row({ userId: 'first' }))
        await p.settle([], row({ userId: 'a', model: 'deepseek-chat', cached: true, costUsd: 0 }))
        await p.settle([], row({ userId: 'o\'b"r', promptTokens: 7, cachedTokens: 3, costUsd: 0.00012345 }))
        const rows = await p.rows(Date.now() - 60_000)
        t.expect(rows.map((r) => r.userId)).toEqual(['first', 'a', 'o\'b"r'])
        t.expect(rows[1]!.cached).toBe(true)
        t.expect(rows[1]!.model).toBe('deepseek-chat')
        t.expect([rows[2]!.promptTokens, rows[2]!.cachedTokens, rows[2]!.completionTokens]).toEqual([7, 3, 2])
        t.expect(rows[2]!.costUsd).toBe(0.00012345)
        t.expect(Math.abs(rows[2]!.at - Date.now())).toBeLessThan(60_000)
        t.expect((await p.rows(Date.now() + 60_000)).length).toBe(0)
      },
    )
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

    t.it('keeps state and since exactly; every write moves the version on by one', async () => {
      const p = await port()
      t.expect(await p.get('none')).toBeUndefined()
      const since = 1_790_000_000_123
      t.expect(await p.compareAndSet('b:{x}', 0, { state: 'open', since })).toBe(true)
      t.expect(await p.get('b:{x}')).toEqual({ state: 'open', since, version: 1 })
      t.expect(await p.compareAndSet('b:{x}', 1, { state: 'half-open', since: since + 1 })).toBe(true)
      t.expect(await p.compareAndSet('b:{x}', 2, { state: 'closed', since: since + 2 })).toBe(true)
      t.expect(await p.get('b:{x}')).toEqual({ state: 'closed', since: since + 2, version: 3 })
      t.expect(await p.compareAndSet('b:{x}', 2, { state: 'open', since })).toBe(false) // stale
      t.expect(await p.get("o'b:{x}")).toBeUndefined() // names are opaque
    })

    t.it('one half-open probe: of many instances seeing the same open state, one moves it on', async () => {
      const p = await port()
      await p.compareAndSet('probe', 0, { state: 'open', since: 1 })
      const seen = (await p.get('probe'))!
      const wins = await Promise.all(
        Array.from({ length: 30 }, () =>
          p.compareAndSet('probe', seen.version, { state: 'half-open', since: 2 }),
        ),
      )
      t.expect(wins.filter(Boolean).length).toBe(1)
    })
  })
}

export function metricsConformance(t: ConformanceApi, name: string, port: () => Promise<MetricsPort>): void {
  const batch = (counters: [string, number][] = [], sets: [string, string[]][] = [], ttlMs = 60_000) => ({
    counters: counters.map(([n, by]) => ({ name: n, by, ttlMs })),
    sets: sets.map(([n, members]) => ({ name: n, members, ttlMs })),
  })
  t.describe(`${name}: metrics port`, () => {
    t.it('counters add up under concurrent writes from many flushes', async () => {
      const p = await port()
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          p.write(
            batch([
              ['n', 1],
              ['m', i % 2],
            ]),
          ),
        ),
      )
      t.expect(await p.get(['n', 'm', 'missing'])).toEqual([100, 50, 0])
    })

    t.it(
      'a batch writes every counter and set it holds; sets count distinct members, across sets too',
      async () => {
        const p = await port()
        await p.write(
          batch(
            [
              ['a', 2],
              ['b', 3],
            ],
            [
              ['s1', ['x', 'y']],
              ['s2', ['y', 'z']],
            ],
          ),
        )
        await p.write(batch([['a', 1]], [['s1', ['x']]]))
        t.expect(await p.get(['a', 'b'])).toEqual([3, 3])
        t.expect(await p.countDistinct(['s1'])).toBe(2)
        t.expect(await p.countDistinct(['s1', 's2'])).toBe(3)
        t.expect(await p.countDistinct(['none'])).toBe(0)
        t.expect(await p.countDistinct([])).toBe(0)
      },
    )

    t.it(
      'counters and sets expire',
      async () => {
        const p = await port()
        await p.write(batch([['short', 1]], [['brief', ['u']]], 1000))
        t.expect(await p.get(['short'])).toEqual([1])
        await sleep(1200)
        t.expect(await p.get(['short'])).toEqual([0])
        t.expect(await p.countDistinct(['brief'])).toBe(0)
      },
      10_000,
    )

    t.it('names and members are opaque: separators, quotes and unicode stay apart', async () => {
      const p = await port()
      const names = ['a:b', 'a%3Ab', "o'b", 'ü', '{x}']
      await p.write(
        batch(
          names.map((n, i) => [n, i + 1] as [string, number]),
          [['who', ["o'b", 'ü', '{x}', 'a b']]],
        ),
      )
      t.expect(await p.get(names)).toEqual([1, 2, 3, 4, 5])
      t.expect(await p.countDistinct(['who'])).toBe(4)
    })
  })
}
