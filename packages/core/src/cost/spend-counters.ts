import type { Tier } from '../config/limits-schema'
import { keyOf, slotted } from '../util/keys'
import { hasLevels, type LevelBudgets, levelsOf, type SpendScope } from './budget-levels'
import { DAY_MS, type Period, type PeriodClock } from './periods'
import type { Counter } from './thresholds'

const KEEP_MS = 40 * DAY_MS
const TTL: Record<Period, number> = { day: 2 * DAY_MS, month: KEEP_MS }

/**
 * The spend counters a call's cost goes to: its user's for the day and the month, and each
 * level's above the user that applies (its group, its endpoint, the app), each with its budget
 * when it has one. A user's counters share one slot (`{user}`), so a sharded store moves them in
 * one operation; with a level above the user configured, every counter shares one (`{spend}`).
 */
export class SpendCounters {
  private readonly shared: boolean

  constructor(
    private readonly keyPrefix: string,
    private readonly levels: LevelBudgets,
    private readonly clock: PeriodClock,
  ) {
    this.shared = hasLevels(levels)
  }

  for(userId: string, tier: Tier | undefined, scope: SpendScope = {}): Counter[] {
    // An unlimited tier is counted at every level but limited at none.
    const bound = (usd: number | undefined) => (tier?.unlimited || usd === undefined ? {} : { limitUsd: usd })
    const budget = scope.userBudget ?? tier?.budget
    const counters: Counter[] = (['day', 'month'] as const).map((period) => ({
      key: this.userKey(userId, period),
      level: 'user',
      period,
      ttlMs: TTL[period],
      ...bound(period === 'day' ? budget?.daily : budget?.monthly),
    }))
    for (const { level, of, limits } of levelsOf(this.levels, scope)) {
      for (const period of ['day', 'month'] as const) {
        counters.push({
          key: this.levelKey(level, of, period),
          level,
          ...(of !== undefined ? { of } : {}),
          period,
          ttlMs: TTL[period],
          ...bound(period === 'day' ? limits.daily : limits.monthly),
        })
      }
    }
    return counters
  }

  userKey(userId: string, period: Period): string {
    const label = this.label(period)
    if (this.shared) return slotted(`${this.keyPrefix}:${period}:${label}:${keyOf(userId)}`, 'spend')
    return slotted(`${this.keyPrefix}:${period}:${label}`, userId)
  }

  levelKey(level: string, of: string | undefined, period: Period): string {
    return slotted(`${this.keyPrefix}:${keyOf(level, of ?? '')}:${period}:${this.label(period)}`, 'spend')
  }

  private label(period: Period): string {
    const { day, month } = this.clock.labels()
    return period === 'day' ? day : month
  }
}
