import { createHash } from 'node:crypto'
import { SluiceError } from '@sluice/core/adapter'
import type { Pool } from 'pg'

export type Query = <R extends object = Record<string, unknown>>(
  sql: string,
  params?: unknown[],
) => Promise<R[]>

// Hot statements are long (the rate-limit upserts): as named prepared statements they are parsed
// and planned once per connection instead of on every call. The name is derived from the text,
// so two stores on different schemas never clash.
const names = new Map<string, string>()
function nameOf(sql: string): string {
  let name = names.get(sql)
  if (!name) {
    name = `sluice_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`
    names.set(sql, name)
  }
  return name
}

/** Runs one statement (after migrations, once); connection faults become store_unavailable. */
export function makeQuery(pool: Pool, ready: () => Promise<void>, prepare = true): Query {
  return async (sql, params) => {
    try {
      await ready()
      const values = params as unknown[]
      return (await pool.query(prepare ? { name: nameOf(sql), text: sql, values } : { text: sql, values }))
        .rows
    } catch (cause) {
      if (SluiceError.is(cause)) throw cause
      throw new SluiceError('store_unavailable', `postgres: ${(cause as Error)?.message ?? cause}`, {
        cause,
        retryable: true,
      })
    }
  }
}
