import { fileURLToPath } from 'node:url'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { budgetTests } from '../../../scripts/budget-tests'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { testNamespaces } from '../../../scripts/test-namespaces'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
const spaces = testNamespaces(`t_budget_${process.pid}_${Date.now().toString(36)}`)
afterAll(async () => {
  for (const s of spaces.used) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

budgetTests(
  { describe, it, expect, afterEach },
  {
    name: 'postgres',
    script: fileURLToPath(new URL('./fixtures/budget.mjs', import.meta.url)),
    env: { ...process.env, DATABASE_URL },
    namespace: spaces.namespace,
    startSimulator,
  },
)

describe("docs/cost-control.md's spend query", () => {
  it('gives per day, user, endpoint and tier what sluice.cost.report() gives', async () => {
    const { readFileSync } = await import('node:fs')
    const { createSluice, deepseek } = await import('@sluice/core')
    const { postgresStore } = await import('../src')
    const docs = readFileSync(
      fileURLToPath(new URL('../../../docs/cost-control.md', import.meta.url)),
      'utf8',
    )
    const sql = /```sql\n([\s\S]*?)```/.exec(docs)![1]!
    const schema = spaces.namespace('report')
    const sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 2 } })
    const store = postgresStore({ connectionString: DATABASE_URL, schema })
    const sluice = createSluice({
      store,
      providers: [deepseek({ baseURL: sim.url, apiKey: 'sim' })],
      tiers: { free: {}, premium: {} },
    })
    try {
      for (const [userId, tier, endpoint] of [
        ['ana', 'free', 'chat'],
        ['ana', 'free', 'summarise'],
        ['bo', 'premium', 'chat'],
        ['bo', 'premium', 'chat'],
      ] as const)
        await sluice.chat(
          {
            model: 'deepseek-chat',
            messages: [{ role: 'user', content: `${userId} ${endpoint} ${Math.random()}` }],
          },
          { userId, tier, endpoint },
        )
      const { rows } = await pool.query(sql.replace('FROM sluice.api_usage', `FROM "${schema}".api_usage`))
      const report = await sluice.cost.report({ since: 0 })
      const byLine = (l: { userId: string; endpoint: string; tier: string }) =>
        `${l.userId}/${l.endpoint}/${l.tier}`
      const fromSql = Object.fromEntries(
        rows.map((r) => [
          byLine({ userId: r.user_id, endpoint: r.endpoint, tier: r.tier }),
          [Number(r.usd), Number(r.requests)],
        ]),
      )
      const fromReport = Object.fromEntries(report.lines.map((l) => [byLine(l), [l.usd, l.requests]]))
      expect(Object.keys(fromSql).sort()).toEqual(['ana/chat/free', 'ana/summarise/free', 'bo/chat/premium'])
      for (const [k, [usd, n]] of Object.entries(fromReport)) {
        expect(fromSql[k]![0]).toBeCloseTo(usd!, 7)
        expect(fromSql[k]![1]).toBe(n)
      }
    } finally {
      await sluice.close()
      await sim.close()
    }
  })
})
