import type { Sluice } from '@sluice/core'

/** What the page shows, read from the (fleet-wide, on a shared store) stats at one moment. */
export interface Snapshot {
  at: number
  activeUsers: number
  requestsPerMinute: number
  requestsTotal: number
  latencyMs: { p50: number; p95: number }
  cacheHitRate: number
  refusals: { rateLimited: number; budgetExceeded: number }
  queue: { pending: number; active: number; waitP50Ms: number; waitP95Ms: number } | null
  breakers: Record<string, string>
  spendTodayUsd: number
  /** Per tier: spent today, and each user's daily budget (null: none). */
  tiers: { tier: string; spentUsd: number; dailyBudgetUsd: number | null }[]
  /** Per endpoint: spent today, and its own daily budget (null: none); the app's budget too. */
  endpoints: { endpoint: string; spentUsd: number; dailyBudgetUsd: number | null }[]
  appDailyBudgetUsd: number | null
  saved: { calls: number; usd: number }
  /** Per provider, model (and pool key): its limits, what is left, waits and 429s, as one line. */
  capacity: { name: string; summary: string }[]
}

function capacityLine(v: Awaited<ReturnType<Sluice['stats']>>['capacity'][number]) {
  const { rpm, tpm, concurrency } = v.limits
  const parts = [
    rpm !== undefined ? `${v.remainingRequests ?? '?'} of ${rpm} rpm left` : 'rpm not paced',
    ...(tpm !== undefined ? [`${v.remainingTokens ?? '?'} of ${tpm} tpm`] : []),
    ...(concurrency !== undefined ? [`${v.inFlight} of ${concurrency} in flight`] : []),
    `${v.granted} sent`,
    `${v.waiting} waiting`,
    `${v.waited} waited ${(v.waitedMs / 1000).toFixed(1)} s`,
    `${v.refused} refused`,
    `${v.upstream429} × 429`,
    ...(v.revoked ? ['key revoked'] : []),
  ]
  return { name: [v.provider, v.model, ...(v.key ? [v.key] : [])].join(' / '), summary: parts.join(' · ') }
}

export async function snapshot(sluice: Sluice): Promise<Snapshot> {
  const stats = await sluice.stats()
  const tiers = sluice.options.tiers as Record<string, { budget?: { daily?: number } }>
  const budgets = (sluice.options.budget ?? {}) as {
    app?: { daily?: number }
    endpoints?: Record<string, { daily?: number }>
  }
  const names = [...new Set([...Object.keys(tiers), ...Object.keys(stats.spendTodayByTier)])]
  return {
    at: Date.now(),
    activeUsers: stats.activeUsers,
    requestsPerMinute: stats.requestsPerMinute,
    requestsTotal: stats.requestsTotal,
    latencyMs: { p50: stats.latencyMs.p50, p95: stats.latencyMs.p95 },
    cacheHitRate: stats.cache.hitRate,
    refusals: {
      rateLimited: stats.errorsByCode.rate_limited ?? 0,
      budgetExceeded: stats.errorsByCode.budget_exceeded ?? 0,
    },
    queue: sluice.queue
      ? {
          pending: stats.queueDepth,
          active: stats.queueRunning,
          waitP50Ms: stats.queueWaitMs.p50,
          waitP95Ms: stats.queueWaitMs.p95,
        }
      : null,
    breakers: stats.breakers,
    spendTodayUsd: stats.spendTodayUsd,
    tiers: names.map((tier) => {
      const daily = tiers[tier]?.budget?.daily
      return {
        tier,
        spentUsd: stats.spendTodayByTier[tier] ?? 0,
        dailyBudgetUsd: daily !== undefined && Number.isFinite(daily) ? daily : null,
      }
    }),
    endpoints: Object.entries(stats.spendTodayByEndpoint).map(([endpoint, spentUsd]) => ({
      endpoint,
      spentUsd,
      dailyBudgetUsd: budgets.endpoints?.[endpoint]?.daily ?? null,
    })),
    appDailyBudgetUsd: budgets.app?.daily ?? null,
    saved: { calls: stats.saved.calls, usd: stats.saved.usd },
    capacity: stats.capacity.map(capacityLine),
  }
}
