import { storeConformance } from '@sluice/core/testing'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { postgresStore } from '../src'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 })
const schemas: string[] = []
const stores: { close(): Promise<void> }[] = []

storeConformance(
  { describe, it, expect, afterAll },
  {
    name: 'postgres',
    ports: ['rateLimit', 'cache', 'usage', 'queue', 'breaker', 'metrics'],
    // Each test gets its own schema, so runs never see each other's rows.
    makeStore: (prefix, options) => {
      const schema = prefix.toLowerCase()
      schemas.push(schema)
      const store = postgresStore({ pool, schema, jobRetention: options?.jobRetentionMs })
      stores.push(store)
      return store
    },
  },
)

afterAll(async () => {
  // Stores first: one may hold a listening connection of the pool (LISTEN/NOTIFY).
  await Promise.all(stores.map((s) => s.close()))
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})
