import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CostTracker, createSluice, deepseek, QueueClient } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { crashTest, expectCrashReport } from '../../../scripts/queue-crash'
import { queuePushTests } from '../../../scripts/queue-push'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { migrate, postgresStore } from '../src'
import { foldRanks } from './fold-ranks'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
const base = `t_queue_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []
const stores: { close(): Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

async function storeFor(schema: string) {
  schemas.push(schema)
  await migrate(pool, { schema })
  const store = postgresStore({ pool, schema })
  stores.push(store)
  return store
}

describe('postgres queue across processes', () => {
  it('crash test: 3 workers, 10,000 jobs, one worker SIGKILLed every second and restarted', async () => {
    const schema = `${base}_crash`
    const report = await crashTest({
      script: fileURLToPath(new URL('./fixtures/queue-worker.mjs', import.meta.url)),
      env: { ...process.env, DATABASE_URL },
      namespace: schema,
      store: await storeFor(schema),
      QueueClient,
    })
    expectCrashReport('postgres', report, expect)
    // The counters the transitions moved (migration 12) equal a count of the rows themselves.
    const { rows } = await pool.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM "${schema}".agent_queue WHERE agent_type = 'crash' GROUP BY status`,
    )
    const counted = { pending: 0, active: 0, completed: 0, failed: 0, expired: 0, cancelled: 0 }
    for (const r of rows) counted[r.status as keyof typeof counted] = r.n
    const store = postgresStore({ pool, schema })
    stores.push(store)
    expect(await store.queue!.counts('crash')).toEqual(counted)
    expect(counted.completed).toBe(report.jobs)
    // The position tree (migration 14) nets to nothing once folded, killed backends' rows too.
    await foldRanks(pool, `"${schema}"`)
    const ranks = await pool.query(
      `SELECT count(*)::int AS n FROM "${schema}".queue_ranks WHERE agent_type = 'crash'`,
    )
    expect(ranks.rows[0].n).toBe(0)
    // docs/stores.md's query for operators reads the same counters.
    const docs = readFileSync(fileURLToPath(new URL('../../../docs/stores.md', import.meta.url)), 'utf8')
    const sql = /`(SELECT agent_type, status, sum\(n\) FROM sluice\.queue_counts[^`]*)`/.exec(docs)![1]!
    const viaDocs = await pool.query<{ agent_type: string; status: string; sum: string }>(
      sql.replace('sluice.', `"${schema}".`),
    )
    expect(viaDocs.rows.find((r) => r.agent_type === 'crash' && r.status === 'completed')?.sum).toBe(
      String(report.jobs),
    )
  }, 200_000)
})

queuePushTests(
  { describe, it, expect, beforeAll, afterAll },
  {
    name: 'postgres',
    script: fileURLToPath(new URL('./fixtures/queue-worker.mjs', import.meta.url)),
    env: { ...process.env, DATABASE_URL },
    namespace: (test) => {
      const schema = `${base}_${test}`
      schemas.push(schema)
      return schema
    },
    store: async (schema) => {
      await migrate(pool, { schema })
      const store = postgresStore({ pool, schema })
      stores.push(store)
      return store
    },
    deps: { QueueClient, CostTracker, createSluice, deepseek, startSimulator },
  },
)
