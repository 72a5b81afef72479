import {
  type LimitState,
  type RateLimitDecision,
  type RateLimitItem,
  type RateLimitPort,
  type RateLimitRule,
  rateLimitStep,
  ServerClock,
  SluiceError,
  tickBatcher,
} from '@sluice/core/adapter'
import type { Query } from './query'

// The server's clock in ms. clock_timestamp() is the moment it is read, not the statement's start.
const CLOCK = 'extract(epoch from clock_timestamp()) * 1000'
// Parameters, typed once: $1 key, $2 cost, $3 limit, $4 windowMs, $5 sliding, $6 deadline.
const COST = '$2::float8'
const LIM = '$3::float8'
const WMS = '$4::float8'

/**
 * The moment of decision for a row that exists: read inside DO UPDATE, so after the row lock is
 * held (a statement that waited behind others reads the time it finally runs at, not the time
 * it started), and never earlier than the row's own last write, so time never goes backwards in
 * a row and no late statement can write an older window (or bucket time) over a newer one.
 */
const T = `greatest(r.updated_ms, ${CLOCK})`

/**
 * A statement that starts after its deadline (server ms; 0 for none) proposes no row, so it
 * changes nothing and returns nothing: its caller gave up at the store timeout, and a frozen
 * server that wakes up to it must not apply it.
 */
const inTime = (param: string) => `WHERE ${param}::float8 = 0 OR n.t <= ${param}::float8`
/**
 * The same check once the row lock is held (DO UPDATE's WHERE runs after the lock): a statement
 * that waited past its deadline behind another transaction's lock on the row changes nothing.
 */
const stillInTime = (param: string) => `WHERE ${param}::float8 = 0 OR ${CLOCK} <= ${param}::float8`

/**
 * Fixed and sliding window in one upsert: a new key is inserted with the clock of the moment;
 * an existing one is decided and written under its row lock by the sub-select, with the core's
 * formulas (`rateLimitStep`): the previous window weighs in by its overlap.
 */
const windowSql = (s: string) => `
INSERT INTO ${s}.rate_limits AS r (key, win, count, prev, updated_ms, allowed, expires_at)
SELECT $1::text, floor(n.t / ${WMS})::bigint,
       CASE WHEN ${COST} <= ${LIM} THEN greatest(0, ${COST}) ELSE 0 END, 0, n.t, ${COST} <= ${LIM},
       to_timestamp((n.t + 2 * ${WMS}) / 1000)
FROM (SELECT ${CLOCK} AS t) n ${inTime('$6')}
ON CONFLICT (key) DO UPDATE SET (allowed, count, prev, win, updated_ms, expires_at) = (
  SELECT d.fits, CASE WHEN d.fits THEN greatest(0, d.cur + ${COST}) ELSE d.cur END, d.prv, d.w, d.t,
         to_timestamp((d.t + 2 * ${WMS}) / 1000)
  FROM (
    SELECT c.*, (c.prv * c.weight + c.cur + ${COST} <= ${LIM}) AS fits
    FROM (
      SELECT b.t, b.w,
        CASE WHEN r.win = b.w THEN r.count ELSE 0 END AS cur,
        CASE WHEN r.win = b.w THEN r.prev WHEN r.win = b.w - 1 THEN r.count ELSE 0 END AS prv,
        CASE WHEN $5::boolean THEN (${WMS} - (b.t - b.w * ${WMS})) / ${WMS} ELSE 0 END AS weight
      FROM (SELECT a.t, floor(a.t / ${WMS})::bigint AS w FROM (SELECT ${T} AS t) a) b
    ) c
  ) d
)
${stillInTime('$6')}
RETURNING allowed, win, count, prev, updated_ms AS now`

/** Token bucket in one upsert, decided under the row lock the same way ($5 is the deadline). */
const bucketSql = (s: string) => `
INSERT INTO ${s}.rate_limits AS r (key, tokens, updated_ms, allowed, expires_at)
SELECT $1::text, CASE WHEN ${COST} <= ${LIM} THEN least(${LIM}, ${LIM} - ${COST}) ELSE ${LIM} END, n.t,
       ${COST} <= ${LIM}, to_timestamp((n.t + 2 * ${WMS}) / 1000)
FROM (SELECT ${CLOCK} AS t) n ${inTime('$5')}
ON CONFLICT (key) DO UPDATE SET (allowed, tokens, updated_ms, expires_at) = (
  SELECT b.lvl >= ${COST}, CASE WHEN b.lvl >= ${COST} THEN least(${LIM}, b.lvl - ${COST}) ELSE b.lvl END, b.t,
         to_timestamp((b.t + 2 * ${WMS}) / 1000)
  FROM (
    SELECT a.t, least(${LIM}, r.tokens + (a.t - r.updated_ms) * ${LIM} / ${WMS}) AS lvl
    FROM (SELECT ${T} AS t) a
  ) b
)
${stillInTime('$5')}
RETURNING allowed, tokens, updated_ms AS now`

const peekSql = (s: string) => `
SELECT greatest(coalesce(r.updated_ms, 0), ${CLOCK}) AS now, r.win, r.count, r.prev, r.tokens, r.updated_ms, r.log
FROM (SELECT 1) one LEFT JOIN ${s}.rate_limits r ON r.key = $1`

interface ManyRow {
  ok: boolean
  allowed: boolean
  win: string
  count: number
  prev: number
  tokens: number
  now_ms: number
  log: number[]
}

/** A counter's state as a row holds it, in the core's shape (`bucketAt`: the bucket's time). */
function stateOf(
  rule: RateLimitRule,
  row: { win: string | null; count: number; prev: number; tokens: number; log: number[] | null },
  bucketAt: number,
): LimitState {
  if (rule.algorithm === 'sliding-log') return { log: (row.log ?? []).map(Number) }
  return rule.algorithm === 'token-bucket'
    ? { tokens: Number(row.tokens), updatedAt: bucketAt }
    : { window: Number(row.win), count: Number(row.count), prev: Number(row.prev) }
}

interface WindowRow {
  allowed: boolean
  win: string
  count: number
  prev: number
  now: number
}

/**
 * The rate-limit port: one statement per call, with the server's clock (under load, one for the
 * callers of a tick: `rate_limit_batch`). The statement decides;
 * the core's reference arithmetic then derives remaining / resetAt / retryAfterMs from the state
 * as it was before the call, exactly as the memory store does.
 */
export function postgresRateLimit(query: Query, schema: string, timeoutMs: number): RateLimitPort {
  const sql = { window: windowSql(schema), bucket: bucketSql(schema), peek: peekSql(schema) }
  const clock = new ServerClock()
  const late = () =>
    new SluiceError(
      'store_unavailable',
      'postgres: the call reached the server after its timeout; not applied',
      {
        retryable: true,
        details: { reason: 'late' },
      },
    )

  async function one(
    key: string,
    cost: number,
    rule: RateLimitRule,
    deadline: number,
  ): Promise<RateLimitDecision> {
    if (rule.algorithm === 'token-bucket') {
      const [row] = await query<{ allowed: boolean; tokens: number; now: number }>(sql.bucket, [
        key,
        cost,
        rule.limit,
        rule.windowMs,
        deadline,
      ])
      if (!row) throw late()
      const now = Number(row.now)
      clock.observe(now)
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
      deadline,
    ])
    if (!row) throw late()
    const now = Number(row.now)
    clock.observe(now)
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

  const ALGO = {
    'fixed-window': 'f',
    'sliding-window': 's',
    'sliding-log': 'l',
    'token-bucket': 'b',
  } as const
  /** One caller's decisions from the rows a function returned for it (each counter's state before). */
  function decisions(items: readonly RateLimitItem[], rows: ManyRow[]): RateLimitDecision[] {
    const now = Number(rows[0]!.now_ms)
    clock.observe(now)
    return items.map(({ rule, cost }, n) => {
      const row = rows[n]!
      const state = stateOf(rule, row, now)
      const { decision } = rateLimitStep(rule, state, cost, now)
      decision.allowed = row.allowed // the function decided; the arithmetic only derives the numbers
      return decision
    })
  }

  // The decisions asked for in one tick, and those asked for while eight calls travel, go in one
  // call of `rate_limit_batch` (16 callers at most): one statement and one commit for all. A
  // caller alone with one window or bucket counter takes the single upsert above.
  const batchSql = `SELECT * FROM ${schema}.rate_limit_batch($1::int[], $2::float8[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[])`
  type Ask = { items: readonly RateLimitItem[]; deadline: number }
  async function runBatch(asks: Ask[]): Promise<(RateLimitDecision[] | SluiceError)[]> {
    const lone =
      asks.length === 1 && asks[0]!.items.length === 1 && asks[0]!.items[0]!.rule.algorithm !== 'sliding-log'
        ? asks[0]!
        : undefined
    if (lone)
      return [[await one(lone.items[0]!.key, lone.items[0]!.cost, lone.items[0]!.rule, lone.deadline)]]
    const all = asks.flatMap((a) => a.items)
    const rows = await query<ManyRow & { caller: number; late: boolean }>(batchSql, [
      asks.map((a) => a.items.length),
      asks.map((a) => a.deadline),
      all.map((i) => i.key),
      all.map((i) => ALGO[i.rule.algorithm]),
      all.map((i) => i.cost),
      all.map((i) => i.rule.limit),
      all.map((i) => i.rule.windowMs),
    ])
    let at = 0
    return asks.map((a) => {
      const first = rows[at]!
      if (first.late) {
        at += 1
        return late()
      }
      const mine = rows.slice(at, at + a.items.length)
      at += a.items.length
      return decisions(a.items, mine)
    })
  }
  const batched = tickBatcher(runBatch, { maxBatch: 16, inFlight: 8 })
  async function decide(items: readonly RateLimitItem[]): Promise<RateLimitDecision[]> {
    const out = await batched({ items, deadline: clock.deadline(timeoutMs) })
    if (out instanceof SluiceError) throw out
    return out
  }

  return {
    consume: async (key, cost, rule) => (await decide([{ key, cost, rule }]))[0]!,
    consumeAll: decide,
    async peek(key, rule) {
      const [row] = await query<{
        now: number
        win: string | null
        count: number
        prev: number
        tokens: number
        updated_ms: number
        log: number[]
      }>(sql.peek, [key])
      const now = Number(row!.now)
      clock.observe(now)
      if (row!.win === null) return rateLimitStep(rule, undefined, 0, now).decision
      return rateLimitStep(rule, stateOf(rule, row!, Number(row!.updated_ms)), 0, now).decision
    },
    async reset(key) {
      await query(`DELETE FROM ${schema}.rate_limits WHERE key = $1`, [key])
    },
  }
}
