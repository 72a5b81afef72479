import { USD_EPSILON } from '../store/usage-math'
import type { BudgetLimit } from '../store/usage-port'
import { BoundedMap } from '../util/lru'
import type { Period } from './periods'

export interface ThresholdEvent {
  userId: string
  tier: string
  period: Period
  ratio: number
  spentUsd: number
  limitUsd: number
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
    who: { userId: string; tier: string },
    limits: readonly BudgetLimit[],
    after: Record<string, number>,
    deltaUsd: number,
  ): void {
    for (const [i, limit] of limits.entries()) {
      if (!Number.isFinite(limit.limitUsd) || limit.limitUsd <= 0 || deltaUsd <= 0) continue
      const spent = after[limit.key] ?? 0
      const before = spent - deltaUsd
      for (const ratio of this.ratios) {
        const mark = ratio * limit.limitUsd
        if (before < mark - USD_EPSILON && spent >= mark - USD_EPSILON) this.fire(who, limit, i, ratio, spent)
      }
    }
  }

  refused(
    who: { userId: string; tier: string },
    limits: readonly BudgetLimit[],
    deniedBy: string,
    spentUsd: number,
  ): void {
    const index = limits.findIndex((l) => l.key === deniedBy)
    const limit = limits[index]
    if (limit && this.ratios.includes(1)) this.fire(who, limit, index, 1, spentUsd)
  }

  private fire(
    who: { userId: string; tier: string },
    limit: BudgetLimit,
    index: number,
    ratio: number,
    spentUsd: number,
  ) {
    const once = `${limit.key}\u0000${ratio}` // the key names the period, so each period fires anew
    if (this.fired.get(once)) return
    this.fired.set(once, true, limit.ttlMs)
    this.emit({ ...who, period: periodOf(index), ratio, spentUsd, limitUsd: limit.limitUsd })
  }
}

const periodOf = (index: number): Period => (index === 0 ? 'day' : 'month')
