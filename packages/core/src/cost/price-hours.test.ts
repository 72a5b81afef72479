import { PROFILES } from '@sluice/simulator'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../memory/memory-store'
import { CostTracker } from './cost-tracker'
import { priceAt, priceHoursSchema } from './price-hours'
import { DEFAULT_PRICES } from './prices'

const usage = { prompt_tokens: 1_000_000, completion_tokens: 1_000_000, total_tokens: 2_000_000 }
const at = (iso: string) => Date.parse(iso)

describe('prices by the hour', () => {
  it('a price that doubles at 12:00 UTC on weekdays: calls on each side are charged their own price', async () => {
    let now = at('2026-12-03T11:59:00Z') // a Thursday
    const cost = new CostTracker({
      store: memoryStore({ now: () => now }),
      now: () => now,
      prices: {
        m: {
          input: 1,
          output: 1,
          hours: [{ days: [1, 2, 3, 4, 5], from: '12:00', to: '18:00', input: 2, output: 2 }],
        },
      },
      tiers: { free: { budget: { daily: 100 } } },
    })
    const before = await cost.reserve('ana', 'free', 1)
    now = at('2026-12-03T12:00:30Z')
    // Settled after the change, priced as of the call: the old price.
    expect(await cost.settle(before, { model: 'm', usage })).toBe(2)
    const after = await cost.reserve('ana', 'free', 1)
    expect(await cost.settle(after, { model: 'm', usage })).toBe(4)
    expect(await cost.spend('ana')).toBe(6)
    now = at('2026-12-05T13:00:00Z') // Saturday: not a weekday window
    expect(cost.priceOf('m')).toEqual({ input: 1, output: 1 })
    expect(cost.costOf(['m'], usage, at('2026-12-04T17:59:59Z'))).toBe(4)
    expect(cost.costOf(['m'], usage, at('2026-12-04T18:00:00Z'))).toBe(2)
  })

  it('a window past midnight belongs to the day it starts', () => {
    const friday = priceHoursSchema.parse({
      days: [5],
      from: '16:30',
      to: '00:30',
      input: 0.14,
      output: 0.21,
    })
    const price = { input: 0.28, output: 0.42, hours: [friday] }
    expect(priceAt(price, at('2026-12-04T23:00:00Z')).input).toBe(0.14) // Friday evening
    expect(priceAt(price, at('2026-12-05T00:15:00Z')).input).toBe(0.14) // still Friday's window
    expect(priceAt(price, at('2026-12-06T00:15:00Z')).input).toBe(0.28) // Saturday's would-be window: none
  })

  it("the shipped table names its date and source, and prices every model of the simulator's profiles", () => {
    expect(DEFAULT_PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(DEFAULT_PRICES.source.length).toBeGreaterThan(0)
    const unpriced = Object.values(PROFILES)
      .flatMap((p) => p.models)
      .filter((m) => !Object.hasOwn(DEFAULT_PRICES.models, m))
    expect(unpriced).toEqual([])
  })
})
