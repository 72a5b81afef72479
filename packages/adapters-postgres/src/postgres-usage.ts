import { emptyDayTotals, USD_EPSILON, type UsagePort, type UsageRow } from '@sluice/core/adapter'
import type { Query } from './query'

interface UsageRowSql {
  user_id: string
  tier: string
  agent_type: string
  provider: string
  model: string
  prompt_tokens: number
  completion_tokens: number
  cached_tokens: number
  cost_usd: string
  cached: boolean
  at: string
  requests: string
}

/**
 * The usage port: spend counters in `spend_totals`, reserved (all or nothing, rows locked in key
 * order) and settled by one function call each; usage rows in `api_usage`, stamped with the
 * server's time, which the `user_costs` view sums per user per day.
 */
export function postgresUsage(query: Query, s: string): UsagePort {
  const totalsOf = (keys: readonly string[], values: readonly number[]) =>
    Object.fromEntries(keys.map((k, i) => [k, Number(values[i] ?? 0)]))
  return {
    async reserve(amountUsd, limits) {
      const keys = limits.map((l) => l.key)
      const [row] = await query<{ ok: boolean; denied: number; totals: number[] }>(
        `SELECT * FROM ${s}.reserve_spend($1::text[], $2::float8[], $3::float8[], $4::float8, $5::float8)`,
        [keys, limits.map((l) => l.limitUsd), limits.map((l) => l.ttlMs), amountUsd, USD_EPSILON],
      )
      const totals = totalsOf(keys, row!.totals)
      return row!.ok ? { ok: true, totals } : { ok: false, deniedBy: keys[row!.denied - 1]!, totals }
    },
    async settle(changes, row) {
      const keys = changes.map((c) => c.key)
      const [result] = await query<{ totals: number[] }>(
        `SELECT ${s}.settle_spend($1::text[], $2::float8[], $3::float8[], $4::jsonb) AS totals`,
        [keys, changes.map((c) => c.deltaUsd), changes.map((c) => c.ttlMs), row ? JSON.stringify(row) : null],
      )
      return totalsOf(keys, result?.totals ?? [])
    },
    async total(key) {
      const [row] = await query<{ total: number }>(
        `SELECT total FROM ${s}.spend_totals WHERE key = $1 AND expires_at > now()`,
        [key],
      )
      return Number(row?.total ?? 0)
    },
    async rows(since) {
      // Rolled-up days first (one row per day, user, endpoint, tier, provider, model, cached),
      // stamped at their day's start; then the rows themselves.
      const rows = await query<UsageRowSql>(
        `SELECT * FROM (
           SELECT user_id, tier, agent_type, provider, model, prompt_tokens::float8 AS prompt_tokens,
                  completion_tokens::float8 AS completion_tokens, cached_tokens::float8 AS cached_tokens,
                  cost_usd, cached, extract(epoch from day::timestamp) * 1000 AS at, requests::float8 AS requests,
                  0 AS part, 0::bigint AS id
             FROM ${s}.api_usage_daily WHERE day >= (to_timestamp($1::float8 / 1000) AT TIME ZONE 'UTC')::date
           UNION ALL
           SELECT user_id, tier, agent_type, provider, model, prompt_tokens, completion_tokens, cached_tokens,
                  cost_usd, cached, extract(epoch from created_at) * 1000, NULL, 1, id
             FROM ${s}.api_usage WHERE created_at >= to_timestamp($1::float8 / 1000)
         ) r ORDER BY at, part, id`,
        [since],
      )
      return rows.map(
        (r): UsageRow => ({
          userId: r.user_id,
          tier: r.tier,
          endpoint: r.agent_type,
          provider: r.provider,
          model: r.model,
          promptTokens: r.prompt_tokens,
          completionTokens: r.completion_tokens,
          cachedTokens: r.cached_tokens,
          costUsd: Number(r.cost_usd),
          cached: r.cached,
          at: Math.round(Number(r.at)),
          ...(r.requests === null ? {} : { requests: Number(r.requests) }),
        }),
      )
    },
    async dayTotals(day) {
      const rows = await query<{
        tier: string
        endpoint: string
        usd: number
        requests: string
        cached: string
      }>(
        `SELECT tier, endpoint, sum(usd) AS usd, sum(requests) AS requests, sum(cached) AS cached
           FROM ${s}.usage_day_totals WHERE day = $1::date GROUP BY tier, endpoint`,
        [day],
      )
      const totals = emptyDayTotals()
      for (const r of rows) {
        const usd = Number(r.usd)
        totals.usd += usd
        totals.requests += Number(r.requests)
        totals.cachedRequests += Number(r.cached)
        totals.byTier[r.tier] = (totals.byTier[r.tier] ?? 0) + usd
        totals.byEndpoint[r.endpoint] = (totals.byEndpoint[r.endpoint] ?? 0) + usd
      }
      return totals
    },
  }
}
