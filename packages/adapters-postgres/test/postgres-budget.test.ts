import { fileURLToPath } from 'node:url'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { budgetTests } from '../../../scripts/budget-tests'
import { DATABASE_URL } from '../../../scripts/services.mjs'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
const base = `t_budget_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []
afterAll(async () => {
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

budgetTests(
  { describe, it, expect, afterEach },
  {
    name: 'postgres',
    script: fileURLToPath(new URL('./fixtures/budget.mjs', import.meta.url)),
    env: { ...process.env, DATABASE_URL },
    namespace: (test) => {
      const s = `${base}_${test}`
      schemas.push(s)
      return s
    },
    startSimulator,
  },
)
