import { SluiceError } from '@sluice/core'
import type { Pool } from 'pg'

export type Query = <R extends object = Record<string, unknown>>(
  sql: string,
  params?: unknown[],
) => Promise<R[]>

/** Runs one statement (after migrations, once); connection faults become store_unavailable. */
export function makeQuery(pool: Pool, ready: () => Promise<void>): Query {
  return async (sql, params) => {
    try {
      await ready()
      return (await pool.query(sql, params as unknown[])).rows
    } catch (cause) {
      if (SluiceError.is(cause)) throw cause
      throw new SluiceError('store_unavailable', `postgres: ${(cause as Error)?.message ?? cause}`, {
        cause,
        retryable: true,
      })
    }
  }
}
