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
 * moves a counter across `ratio × limit`. Because the store returns the counter as that one
 * atomic operation left it, each crossing fires once across the fleet. A refusal also fires
 * ratio 1 the first time in a period (per instance) when no crossing did: the budget takes no
 * more calls, which is what "100%" means to whoever set the alert.
 */
export class Thresholds {
  private readonly full = new BoundedMap<string, true>(10_000)

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
        if (before < mark - USD_EPSILON && spent >= mark - USD_EPSILON) {
          if (ratio >= 1) this.full.set(limit.key, true)
          this.emit({ ...who, period: periodOf(i), ratio, spentUsd: spent, limitUsd: limit.limitUsd })
        }
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
    if (!limit || !this.ratios.includes(1) || this.full.get(deniedBy)) return
    this.full.set(deniedBy, true)
    this.emit({ ...who, period: periodOf(index), ratio: 1, spentUsd, limitUsd: limit.limitUsd })
  }
}

const periodOf = (index: number): Period => (index === 0 ? 'day' : 'month')
