import { type RateLimitDecision, type RateLimitPort, type RateLimitRule, rateLimitStep } from '@sluice/core'
import type { Query } from './query'

// Server time in ms; clock_timestamp() (not now()) so it is the moment of the statement itself.
const NOW = 'extract(epoch from clock_timestamp()) * 1000'
// Parameters, typed once: $1 key, $2 cost, $3 limit, $4 windowMs, $5 sliding.
const COST = '$2::float8'
const LIM = '$3::float8'
const WMS = '$4::float8'

// From the old row `r` and the incoming values `EXCLUDED` (this call's window and clock):
const cur = '(CASE WHEN r.win = EXCLUDED.win THEN r.count ELSE 0 END)'
const prv =
  '(CASE WHEN r.win = EXCLUDED.win THEN r.prev WHEN r.win = EXCLUDED.win - 1 THEN r.count ELSE 0 END)'
const weight = `(CASE WHEN $5::boolean THEN (${WMS} - (EXCLUDED.updated_ms - EXCLUDED.win * ${WMS})) / ${WMS} ELSE 0 END)`
const fits = `(${prv} * ${weight} + ${cur} + ${COST} <= ${LIM})`

/**
 * Fixed and sliding window in one upsert. In DO UPDATE every expression reads the row as it was,
 * so deciding and writing are one atomic step under the row lock.
 */
const windowSql = (s: string) => `
WITH input AS (SELECT ${NOW} AS now)
INSERT INTO ${s}.rate_limits AS r (key, win, count, prev, updated_ms, allowed, expires_at)
SELECT $1::text, floor(now / ${WMS})::bigint,
       CASE WHEN ${COST} <= ${LIM} THEN greatest(0, ${COST}) ELSE 0 END, 0, now, ${COST} <= ${LIM},
       to_timestamp((now + 2 * ${WMS}) / 1000)
FROM input
ON CONFLICT (key) DO UPDATE SET
  allowed = ${fits},
  count = CASE WHEN ${fits} THEN greatest(0, ${cur} + ${COST}) ELSE ${cur} END,
  prev = ${prv},
  win = EXCLUDED.win,
  updated_ms = EXCLUDED.updated_ms,
  expires_at = EXCLUDED.expires_at
RETURNING allowed, win, count, prev, updated_ms AS now`

const level = `least(${LIM}, r.tokens + greatest(0, EXCLUDED.updated_ms - r.updated_ms) * ${LIM} / ${WMS})`

/** Token bucket in one upsert. */
const bucketSql = (s: string) => `
WITH input AS (SELECT ${NOW} AS now)
INSERT INTO ${s}.rate_limits AS r (key, tokens, updated_ms, allowed, expires_at)
SELECT $1::text, CASE WHEN ${COST} <= ${LIM} THEN least(${LIM}, ${LIM} - ${COST}) ELSE ${LIM} END, now,
       ${COST} <= ${LIM}, to_timestamp((now + 2 * ${WMS}) / 1000)
FROM input
ON CONFLICT (key) DO UPDATE SET
  allowed = ${level} >= ${COST},
  tokens = CASE WHEN ${level} >= ${COST} THEN least(${LIM}, ${level} - ${COST}) ELSE ${level} END,
  updated_ms = EXCLUDED.updated_ms,
  expires_at = EXCLUDED.expires_at
RETURNING allowed, tokens, updated_ms AS now`

const peekSql = (s: string) => `
SELECT ${NOW} AS now, r.win, r.count, r.prev, r.tokens, r.updated_ms
FROM (SELECT 1) one LEFT JOIN ${s}.rate_limits r ON r.key = $1`

interface WindowRow {
  allowed: boolean
  win: string
  count: number
  prev: number
  now: number
}

/**
 * The rate-limit port: one statement per call, with the server's clock. The statement decides;
 * the core's reference arithmetic then derives remaining / resetAt / retryAfterMs from the state
 * as it was before the call, exactly as the memory store does.
 */
export function postgresRateLimit(query: Query, schema: string): RateLimitPort {
  const sql = { window: windowSql(schema), bucket: bucketSql(schema), peek: peekSql(schema) }

  async function consume(key: string, cost: number, rule: RateLimitRule): Promise<RateLimitDecision> {
    if (rule.algorithm === 'token-bucket') {
      const [row] = await query<{ allowed: boolean; tokens: number; now: number }>(sql.bucket, [
        key,
        cost,
        rule.limit,
        rule.windowMs,
      ])
      const now = Number(row!.now)
      const tokens = Number(row!.tokens)
      const before = row!.allowed ? Math.min(rule.limit, tokens + cost) : tokens
      const { decision } = rateLimitStep(rule, { tokens: before, updatedAt: now }, cost, now)
      decision.allowed = row!.allowed // the statement decided; the arithmetic only derives the numbers
      return decision
    }
    const [row] = await query<WindowRow>(sql.window, [
      key,
      cost,
      rule.limit,
      rule.windowMs,
      rule.algorithm === 'sliding-window',
    ])
    const now = Number(row!.now)
    const count = Number(row!.count)
    const before = {
      window: Number(row!.win),
      count: row!.allowed ? Math.max(0, count - cost) : count,
      prev: Number(row!.prev),
    }
    const { decision } = rateLimitStep(rule, before, cost, now)
    decision.allowed = row!.allowed
    return decision
  }

  return {
    consume,
    async peek(key, rule) {
      const [row] = await query<{
        now: number
        win: string | null
        count: number
        prev: number
        tokens: number
        updated_ms: number
      }>(sql.peek, [key])
      const now = Number(row!.now)
      if (row!.win === null) return rateLimitStep(rule, undefined, 0, now).decision
      const state =
        rule.algorithm === 'token-bucket'
          ? { tokens: Number(row!.tokens), updatedAt: Number(row!.updated_ms) }
          : { window: Number(row!.win), count: Number(row!.count), prev: Number(row!.prev) }
      return rateLimitStep(rule, state, 0, now).decision
    },
    async reset(key) {
      await query(`DELETE FROM ${schema}.rate_limits WHERE key = $1`, [key])
    },
  }
}
