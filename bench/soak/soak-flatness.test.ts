import { describe, expect, it } from 'vitest'
import { type FlatSample, judgeFlatness } from './soak-flatness'

const minutes = (n: number, f: (m: number) => Partial<FlatSample>): FlatSample[] =>
  Array.from({ length: n }, (_, i) => ({
    at: (i + 1) * 60_000,
    usersSeen: 1000 * (i + 1),
    heapMB: { app0: 30 + (i % 2) * 10 },
    rows: { api_usage: 3500 + (i % 3) * 50, spend_totals: 1900 * (i + 1) },
    ...f(i + 1),
  }))

describe('the soak judges flatness', () => {
  it('counts that hold steady after warm-up, and per-user state within its bound, are flat', () => {
    const f = judgeFlatness(
      minutes(10, () => ({})),
      120_000,
    )
    expect(f).toMatchObject({ judged: true, flat: true, perUserWithinBound: true })
    expect(f.perUser.spend_totals).toBeCloseTo(1.9)
  })

  it('a count that grows with time is not flat', () => {
    const f = judgeFlatness(
      minutes(10, (m) => ({ rows: { api_usage: 1000 * m, spend_totals: 10 } })),
      120_000,
    )
    expect(f.flat).toBe(false)
    expect(f.rowsGrowth.api_usage).toBeGreaterThan(0.25)
  })

  it('a count of a few rows that moves by more than the drift is still flat; past the floor it is not', () => {
    const few = judgeFlatness(
      minutes(10, (m) => ({ rows: { api_usage: 3500, queue_ranks: m < 6 ? 4 : 30 } })),
      120_000,
    )
    expect(few.rowsGrowth.queue_ranks).toBeGreaterThan(0.25)
    expect(few.flat).toBe(true)
    const many = judgeFlatness(
      minutes(10, (m) => ({ rows: { api_usage: 3500, queue_ranks: m < 6 ? 40 : 300 } })),
      120_000,
    )
    expect(many.flat).toBe(false)
  })

  it('a heap that keeps growing is not flat', () => {
    const f = judgeFlatness(
      minutes(10, (m) => ({ heapMB: { app0: 20 * m } })),
      120_000,
    )
    expect(f.flat).toBe(false)
    expect(f.heapGrowth.app0).toBeGreaterThan(0.5)
  })

  it('per-user state past what one user can hold is not within bound', () => {
    const f = judgeFlatness(
      minutes(10, (m) => ({ rows: { api_usage: 3500, spend_totals: 3000 * m } })),
      120_000,
    )
    expect(f).toMatchObject({ flat: false, perUserWithinBound: false })
  })

  it('a run too short for its warm-up is not judged flat', () => {
    expect(
      judgeFlatness(
        minutes(4, () => ({})),
        120_000,
      ),
    ).toMatchObject({ judged: false, flat: false })
  })
})
