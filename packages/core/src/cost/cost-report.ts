import { emptyDict } from '../config/dict-schema'
import type { UsageRow } from '../store/usage-port'

export interface CostReport {
  since: number
  totalUsd: number
  requests: number
  cachedRequests: number
  tokens: number
  byTier: Record<string, number>
  byModel: Record<string, number>
  byUser: Record<string, number>
}

/** Sums usage rows by tier, model and user (prototype-less maps: any id is a plain key). */
export function buildReport(since: number, rows: readonly UsageRow[]): CostReport {
  const report: CostReport = {
    since,
    totalUsd: 0,
    requests: rows.length,
    cachedRequests: 0,
    tokens: 0,
    byTier: emptyDict(),
    byModel: emptyDict(),
    byUser: emptyDict(),
  }
  for (const r of rows) {
    report.totalUsd += r.costUsd
    report.tokens += r.promptTokens + r.completionTokens
    if (r.cached) report.cachedRequests++
    report.byTier[r.tier] = (report.byTier[r.tier] ?? 0) + r.costUsd
    report.byModel[r.model] = (report.byModel[r.model] ?? 0) + r.costUsd
    report.byUser[r.userId] = (report.byUser[r.userId] ?? 0) + r.costUsd
  }
  return report
}
