import { createSluice, deepseek, SluiceError } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { postgresStore } from '../src'
import { DATABASE_URL } from './database-url'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
const schema = `t_two_instances_${process.pid}_${Date.now().toString(36)}`

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await pool.end()
})

it('two app instances sharing PostgreSQL enforce one limit together, end to end', async () => {
  const sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1, max: 3 } })
  const make = () =>
    createSluice({
      store: postgresStore({ pool, schema }),
      providers: [deepseek({ baseURL: sim.url })],
      tiers: { free: { limits: { ask: { limit: 5, window: '1m' } } } },
      cache: { enabled: false },
    })
  const [a, b] = [make(), make()]
  expect(a.storeReport().rateLimit).toBe('store')
  const ask = (s: typeof a, i: number) =>
    s.chat(
      { model: 'deepseek-chat', messages: [{ role: 'user', content: `q${i}` }] },
      { userId: 'ana', tier: 'free', endpoint: 'ask' },
    )
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => ask(i % 2 ? a : b, i)))
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  expect(refused.every((r) => SluiceError.is(r.reason, 'rate_limited'))).toBe(true)
  expect(sim.stats.requests).toBe(5)
  await Promise.all([a.close(), b.close()])
  await sim.close()
})
