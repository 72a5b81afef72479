import { fileURLToPath } from 'node:url'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { capacityTests } from '../../../scripts/capacity-tests'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { testNamespaces } from '../../../scripts/test-namespaces'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
const spaces = testNamespaces(`t_capacity_${process.pid}_${Date.now().toString(36)}`)
afterAll(async () => {
  for (const s of spaces.used) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

capacityTests(
  { describe, it, expect, afterEach },
  {
    name: 'postgres',
    script: fileURLToPath(new URL('./fixtures/capacity.mjs', import.meta.url)),
    env: { ...process.env, DATABASE_URL },
    namespace: spaces.namespace,
    startSimulator,
  },
)
