import type { BreakerPort, BreakerState } from '@sluice/core/adapter'
import type { Query } from './query'

/** The breaker port on `breaker_state`: a row per breaker, changed by `UPDATE … WHERE version = $n`. */
export function postgresBreaker(query: Query, s: string): BreakerPort {
  const t = `${s}.breaker_state`
  return {
    async get(name) {
      const [row] = await query<{ state: string; since_ms: number; version: string }>(
        `SELECT state, since_ms, version FROM ${t} WHERE name = $1`,
        [name],
      )
      return row
        ? {
            state: row.state as BreakerState['state'],
            since: Number(row.since_ms),
            version: Number(row.version),
          }
        : undefined
    },
    async compareAndSet(name, expectedVersion, next) {
      const rows =
        expectedVersion === 0
          ? await query(
              `INSERT INTO ${t} (name, state, since_ms, version) VALUES ($1, $2, $3, 1) ON CONFLICT (name) DO NOTHING RETURNING 1`,
              [name, next.state, next.since],
            )
          : await query(
              `UPDATE ${t} SET state = $2, since_ms = $3, version = version + 1, updated_at = now()
               WHERE name = $1 AND version = $4 RETURNING 1`,
              [name, next.state, next.since, expectedVersion],
            )
      return rows.length === 1
    },
  }
}
