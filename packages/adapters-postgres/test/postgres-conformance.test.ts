import { storeConformance } from '@sluice/core/testing'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { postgresStore } from '../src'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 })
const schemas: string[] = []

storeConformance(
  { describe, it, expect, afterAll },
  {
    name: 'postgres',
    ports: ['rateLimit', 'cache', 'usage', 'breaker', 'metrics'],
    // Each test gets its own schema, so runs never see each other's rows.
    makeStore: (prefix) => {
      const schema = prefix.toLowerCase()
      schemas.push(schema)
      return postgresStore({ pool, schema })
    },
  },
)

afterAll(async () => {
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})
