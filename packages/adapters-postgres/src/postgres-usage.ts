import { USD_EPSILON, type UsagePort, type UsageRow } from '@sluice/core/adapter'
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
      const rows = await query<UsageRowSql>(
        `SELECT user_id, tier, agent_type, provider, model, prompt_tokens, completion_tokens, cached_tokens,
                cost_usd, cached, extract(epoch from created_at) * 1000 AS at
         FROM ${s}.api_usage WHERE created_at >= to_timestamp($1::float8 / 1000) ORDER BY created_at, id`,
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
        }),
      )
    },
  }
}
