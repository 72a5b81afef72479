import { createSluice, deepseek } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { overrideTests } from '../../../scripts/override-tests'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { postgresStore } from '../src'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
const base = `t_overrides_${process.pid}_${Date.now().toString(36)}`
const schemas = new Set<string>()
afterAll(async () => {
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

overrideTests(
  { describe, it, expect },
  {
    name: 'postgres',
    // Each instance its own pool: they share the server and nothing else.
    store: (test) => async () => {
      const schema = `${base}_${test}`
      schemas.add(schema)
      const store = postgresStore({ connectionString: DATABASE_URL, schema })
      await store.ready()
      return store
    },
    createSluice,
    deepseek,
    startSimulator,
  },
)
