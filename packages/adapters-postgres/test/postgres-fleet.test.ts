import { fileURLToPath } from 'node:url'
import { CostTracker, createSluice } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fleetTests } from '../../../scripts/fleet-tests'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { migrate, postgresStore } from '../src'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
const base = `t_fleet_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []
afterAll(async () => {
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

fleetTests(
  { describe, it, expect, beforeAll, afterAll },
  {
    name: 'postgres',
    script: fileURLToPath(new URL('./fixtures/fleet.mjs', import.meta.url)),
    env: { ...process.env, DATABASE_URL },
    namespace: (test) => {
      const s = `${base}_${test}`
      schemas.push(s)
      return s
    },
    store: async (schema) => {
      await migrate(pool, { schema })
      return postgresStore({ pool, schema })
    },
    costTracker: (store) => new CostTracker({ store, tiers: { free: { budget: { daily: 0.002 } } } }),
    deps: { createSluice, startSimulator },
  },
)
