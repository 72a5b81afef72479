// The soak's short version, in the test command: 40 s per store (bench soak runs 10 minutes) with a
// worker killed -9 and the store restarted mid-run. Nothing lost, no limit or budget exceeded, no
// worker idle while jobs wait; the limits and the budget did bind, and every refusal is documented.
import { describe, expect, it } from 'vitest'
import { runSoak } from './run-soak'

const DOCUMENTED = new Set(['rate_limited', 'budget_exceeded', 'store_unavailable'])

describe.each(['redis', 'postgres'] as const)('soak on %s', (store) => {
  it('40 s of mixed load from 100,000 users, a worker killed -9 and the store restarted: 0 lost, 0 over a limit or budget, 0 stalls', async () => {
    const report = await runSoak({ store, durationMs: 40_000, reportEveryMs: 10_000 })
    expect(report.kills).toBe(1)
    expect(report.restarts).toBe(1)
    expect({
      lost: report.lost,
      overLimit: report.overLimit,
      overBudget: report.overBudget,
      stalls: report.stalls,
      wrong: report.jobs.wrong,
      jobsLost: report.jobs.lost,
    }).toEqual({ lost: 0, overLimit: 0, overBudget: 0, stalls: 0, wrong: 0, jobsLost: 0 })
    expect(report.jobs.ok).toBeGreaterThan(100)
    expect(report.calls).toBeGreaterThan(1_000)
    // The limits and the hot users' budget were met (so the zeros above say something).
    expect(report.errors.rate_limited ?? 0).toBeGreaterThan(0)
    expect(report.errors.budget_exceeded ?? 0).toBeGreaterThan(0)
    expect(Object.keys(report.errors).filter((code) => !DOCUMENTED.has(code))).toEqual([])
    // What is kept per user stays within what one user can hold, per user seen (flatness over
    // time needs the 10-minute run: bench soak judges it).
    expect(report.flatness.perUserWithinBound).toBe(true)
    expect(Object.keys(report.flatness.perUser).length).toBeGreaterThan(0)
  })
})
