import { emptyDict } from '../config/dict-schema'
import type { UsageRow } from '../store/usage-port'

export interface CostReport {
  since: number
  totalUsd: number
  requests: number
  cachedRequests: number
  /** Cached requests over requests, 0..1 (0 with none). */
  cachedShare: number
  tokens: number
  byTier: Record<string, number>
  byModel: Record<string, number>
  byUser: Record<string, number>
  byEndpoint: Record<string, number>
  /** Per UTC day, user, endpoint and tier: what it cost, its requests, how many the cache answered. */
  lines: SpendLine[]
}

export interface SpendLine {
  day: string
  userId: string
  endpoint: string
  tier: string
  usd: number
  requests: number
  cachedRequests: number
}

/** Sums usage rows by tier, model and user (prototype-less maps: any id is a plain key). */
export function buildReport(since: number, rows: readonly UsageRow[]): CostReport {
  const report: CostReport = {
    since,
    totalUsd: 0,
    requests: 0,
    cachedRequests: 0,
    tokens: 0,
    byTier: emptyDict(),
    byModel: emptyDict(),
    byUser: emptyDict(),
    byEndpoint: emptyDict(),
    cachedShare: 0,
    lines: [],
  }
  const lines = new Map<string, SpendLine>()
  for (const r of rows) {
    const day = new Date(r.at).toISOString().slice(0, 10)
    const id = JSON.stringify([day, r.userId, r.endpoint, r.tier])
    let line = lines.get(id)
    if (!line) {
      line = {
        day,
        userId: r.userId,
        endpoint: r.endpoint,
        tier: r.tier,
        usd: 0,
        requests: 0,
        cachedRequests: 0,
      }
      lines.set(id, line)
    }
    const n = r.requests ?? 1
    line.usd += r.costUsd
    line.requests += n
    report.requests += n
    if (r.cached) line.cachedRequests += n
    report.byEndpoint[r.endpoint] = (report.byEndpoint[r.endpoint] ?? 0) + r.costUsd
    report.totalUsd += r.costUsd
    report.tokens += r.promptTokens + r.completionTokens
    if (r.cached) report.cachedRequests += n
    report.byTier[r.tier] = (report.byTier[r.tier] ?? 0) + r.costUsd
    report.byModel[r.model] = (report.byModel[r.model] ?? 0) + r.costUsd
    report.byUser[r.userId] = (report.byUser[r.userId] ?? 0) + r.costUsd
  }
  report.lines = [...lines.values()]
  report.cachedShare = report.requests === 0 ? 0 : report.cachedRequests / report.requests
  return report
}
