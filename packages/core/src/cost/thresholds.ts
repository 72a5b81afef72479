import { USD_EPSILON } from '../store/usage-math'
import { BoundedMap } from '../util/lru'
import type { BudgetLevel } from './budget-levels'
import type { Period } from './periods'

export interface ThresholdEvent {
  /** The caller whose call moved the counter across the ratio. */
  userId: string
  tier: string
  /** Whose budget: the user's, or their group's, the endpoint's, the app's. */
  level: BudgetLevel
  /** The group or endpoint, for those levels. */
  of?: string
  period: Period
  ratio: number
  spentUsd: number
  limitUsd: number
}

/** A spend counter for one period (a user's, or a level's above); `limitUsd` when it has a budget. */
export interface Counter {
  key: string
  level: BudgetLevel
  of?: string
  period: Period
  ttlMs: number
  limitUsd?: number
}

interface Who {
  userId: string
  tier: string
}

/**
 * Decides when `budget:threshold` fires: when a store operation (a reservation or a settle)
 * moves a counter across `ratio × limit`. The store returns the counter as that one atomic
 * operation left it, so a crossing is seen by one instance only; each instance fires a ratio
 * once per budget period, even when a settle takes the counter back under it. A refusal fires
 * ratio 1 when no crossing did: the budget takes no more calls, which is what "100%" means to
 * whoever set the alert.
 */
export class Thresholds {
  private readonly fired = new BoundedMap<string, true>(10_000)

  constructor(
    private readonly ratios: readonly number[],
    private readonly emit: (event: ThresholdEvent) => void,
  ) {}

  crossed(
    who: Who,
    counters: readonly Counter[],
    after: Record<string, number>,
    delta: (key: string) => number,
  ): void {
    for (const c of counters) {
      const d = delta(c.key)
      if (c.limitUsd === undefined || c.limitUsd <= 0 || d <= 0 || after[c.key] === undefined) continue
      const spent = after[c.key]!
      for (const ratio of this.ratios) {
        const mark = ratio * c.limitUsd
        if (spent - d < mark - USD_EPSILON && spent >= mark - USD_EPSILON) this.fire(who, c, ratio, spent)
      }
    }
  }

  refused(who: Who, counter: Counter, spentUsd: number): void {
    if (this.ratios.includes(1)) this.fire(who, counter, 1, spentUsd)
  }

  private fire(who: Who, c: Counter, ratio: number, spentUsd: number) {
    const once = `${c.key}\u0000${ratio}` // the key names the period, so each period fires anew
    if (this.fired.get(once) || c.limitUsd === undefined) return
    this.fired.set(once, true, c.ttlMs)
    const at = { level: c.level, ...(c.of !== undefined ? { of: c.of } : {}) }
    this.emit({ ...who, ...at, period: c.period, ratio, spentUsd, limitUsd: c.limitUsd })
  }
}
