// The soak's judge, on made-up reports: it must see a stall, a call over a limit and a budget overrun.
import { describe, expect, it } from 'vitest'
import { SOAK } from './soak-config.mjs'
import { SoakLedger } from './soak-ledger'

const tick = (at: number, patch: Record<string, unknown> = {}) => ({
  at,
  calls: {},
  errors: {},
  latencies: {},
  jobs: { started: 0, done: 0 },
  heapMB: 1,
  rssMB: 1,
  hot: [],
  ...patch,
})

describe('soak ledger', () => {
  it('counts each user once, from the first tick (before the clock starts), by when their first call went', () => {
    const l = new SoakLedger(SOAK)
    const t0 = 1_000_000
    l.tick('app', 0, tick(t0 - 500, { users: [['a', t0 - 600]] }))
    l.start(t0)
    l.tick(
      'app',
      0,
      tick(t0 + 1000, {
        users: [
          ['a', t0 + 100],
          ['b', t0 + 200],
          ['c', t0 + 900],
        ],
      }),
    )
    l.tick(
      'app',
      1,
      tick(t0 + 1000, {
        users: [
          ['b', t0 + 300],
          ['d', t0 + 950],
        ],
      }),
    )
    l.line({}, t0 + 900)
    l.line({}, t0 + 1000)
    expect(l.summary().intervals.map((i) => i.usersSeen)).toEqual([3, 4])
  })

  it('counts a worker idle for 5 s while jobs waited as one stall, and none for a busy one', () => {
    const l = new SoakLedger(SOAK)
    const t0 = 1_000_000
    l.start(t0)
    l.tick('worker', 0, tick(t0))
    l.tick('worker', 1, tick(t0))
    for (let s = 1; s <= 8; s++) {
      l.tick('worker', 1, tick(t0 + s * 1000, { jobs: { started: 3, done: 3 } }))
      l.depth(t0 + s * 1000, 4)
    }
    expect(l.summary().stalls).toBe(1)
  })

  it('excuses a worker while the store is down', () => {
    const l = new SoakLedger(SOAK)
    const t0 = 1_000_000
    l.start(t0)
    l.tick('worker', 0, tick(t0))
    l.fault('store', t0, t0 + 20_000)
    for (let s = 1; s <= 8; s++) l.depth(t0 + s * 1000, 4)
    expect(l.summary().stalls).toBe(0)
  })

  it('sees a sixth answered call in one window, and a hot user past budget plus one call', () => {
    const l = new SoakLedger(SOAK)
    const w = 100 * SOAK.windowMs
    l.start(w)
    const calls = Array.from({ length: SOAK.limit + 1 }, (_, i) => [
      'hot1',
      w + i * 10,
      w + i * 10 + 5,
      'chat',
      0,
    ])
    calls.push(['hot2', w, w + 5, 'ask', SOAK.budgetUsd + SOAK.callBoundUsd + 0.0001])
    // A call that spans the window's edge is not judged (its admission may fall on either side).
    calls.push(['hot1', w + SOAK.windowMs - 3, w + SOAK.windowMs + 50, 'chat', 0])
    l.tick('app', 0, tick(w + 100, { hot: calls }))
    expect([l.summary().overLimit, l.summary().overBudget]).toEqual([1, 1])
  })
})
