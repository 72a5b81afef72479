import type { UsagePort, UsageRow } from '../store/usage-port'
import type { ConformanceApi } from './conformance-api'

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

    t.it("a day's totals add up every row of 200 concurrent settles, by tier and endpoint", async () => {
      const p = await port()
      if (!p.dayTotals) return // optional: the monitor then sums the rows
      const day = new Date().toISOString().slice(0, 10)
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          p.settle(
            [],
            row({
              userId: `u${i}`,
              tier: i % 4 === 0 ? 'premium' : 'free',
              endpoint: i % 2 === 0 ? 'chat' : 'constructor',
              cached: i % 5 === 0,
              costUsd: 0.001,
            }),
          ),
        ),
      )
      const totals = await p.dayTotals(day)
      t.expect([totals.requests, totals.cachedRequests]).toEqual([200, 40])
      t.expect(Math.round(totals.usd * 1e6)).toBe(200_000)
      t.expect(Math.round((totals.byTier.premium ?? 0) * 1e6)).toBe(50_000)
      t.expect(Math.round((totals.byTier.free ?? 0) * 1e6)).toBe(150_000)
      t.expect(Math.round((totals.byEndpoint.chat ?? 0) * 1e6)).toBe(100_000)
      t.expect(Object.getPrototypeOf(totals.byEndpoint)).toBe(null)
      t.expect((await p.dayTotals('2001-01-01')).requests).toBe(0)
    })
  })
}
