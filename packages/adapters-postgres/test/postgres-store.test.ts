import { fileURLToPath } from 'node:url'
import { CostTracker, createSluice, RateLimiter, SluiceError } from '@sluice/core'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { runTogether } from '../../../scripts/processes'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { runSustained } from '../../../scripts/sustained-check'
import { usageRow } from '../../../scripts/usage-row'
import { MIGRATIONS, migrate, postgresStore } from '../src'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 })
const base = `t_pg_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []
const schema = (name: string) => {
  const s = `${base}_${name}`.replace(/-/g, '_')
  schemas.push(s)
  return s
}

afterAll(async () => {
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
  await pool.end()
})

describe('postgresStore', () => {
  it('refuses bad options with invalid_config naming the field', () => {
    expect(() => postgresStore({} as never)).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'postgresStore.connectionString' }),
    )
    expect(() => postgresStore({ pool, schema: 'x; DROP TABLE y' })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'postgresStore.schema' }),
    )
    expect(() => postgresStore({ pool, housekeeping: 0 })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'postgresStore.housekeeping' }),
    )
    expect(() => postgresStore({ pool, usageRollupAfter: 'soon' as never })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', path: 'postgresStore.usageRollupAfter' }),
    )
  })

  it('holds every port; an operator reads spend per user per day in SQL (user_costs)', async () => {
    const s = schema('sql')
    const store = postgresStore({ pool, schema: s })
    const provider = {
      name: 'p',
      models: ['deepseek-chat'],
      defaultModel: 'deepseek-chat',
      async chat() {
        return {
          id: 'x',
          object: 'chat.completion' as const,
          created: 0,
          model: 'deepseek-chat',
          choices: [
            { index: 0, message: { role: 'assistant' as const, content: 'ok' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
        }
      },
      async *stream() {},
    }
    const sluice = createSluice({ store, providers: [provider], tiers: { free: { budget: { daily: 1 } } } })
    expect(sluice.storeReport()).toEqual({
      rateLimit: 'store',
      cache: 'store',
      usage: 'store',
      queue: 'store',
      breaker: 'store',
      metrics: 'store',
    })
    const ask = (q: string) => ({ model: 'deepseek-chat', messages: [{ role: 'user' as const, content: q }] })
    await sluice.chat(ask('one'), { userId: "o'brien", tier: 'free' })
    await sluice.chat(ask('two'), { userId: "o'brien", tier: 'free' })
    await sluice.chat(ask('one'), { userId: "o'brien", tier: 'free' }) // a cache hit: a row of cost 0, cached
    await sluice.close()
    const { rows } = await pool.query(
      `SELECT user_id, total_tokens::int, total_cost::float8, total_requests::int, cached_requests::int
       FROM "${s}".user_costs WHERE date = date_trunc('day', now())`,
    )
    expect(rows).toEqual([
      {
        user_id: "o'brien",
        total_tokens: 3000,
        total_cost: 2 * ((1000 * 0.28 + 500 * 0.42) / 1e6),
        total_requests: 3,
        cached_requests: 1,
      },
    ])
  })

  it('migrate() is idempotent and safe when many run at once', async () => {
    const s = schema('migrate')
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(pool, { schema: s })))
    expect(results.flat().sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.id))
    expect(await migrate(pool, { schema: s })).toEqual([])
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${s}".migrations`)
    expect(rows[0].n).toBe(MIGRATIONS.length)
  })

  it('keeps the decision in the row: exact counts visible with raw SQL', async () => {
    const s = schema('raw')
    const limiter = new RateLimiter({
      store: postgresStore({ pool, schema: s }),
      limits: { ask: { limit: 3, window: '1m', algorithm: 'fixed-window' } },
    })
    const results = await Promise.all(
      Array.from({ length: 10 }, () => limiter.limit({ userId: "o'brien", endpoint: 'ask' })),
    )
    expect(results.filter((r) => r.allowed)).toHaveLength(3)
    const { rows } = await pool.query(`SELECT key, count, expires_at > now() AS live FROM "${s}".rate_limits`)
    expect(rows).toHaveLength(1)
    expect(rows[0].count).toBe(3)
    expect(rows[0].live).toBe(true)
    expect(rows[0].key).toContain("o'brien")
  })

  it('gives the same decisions without prepared statements (for poolers that cannot keep them)', async () => {
    const store = postgresStore({ pool, schema: schema('unprepared'), preparedStatements: false })
    const rule = { algorithm: 'sliding-window' as const, limit: 2, windowMs: 60_000 }
    const results = await Promise.all(Array.from({ length: 5 }, () => store.rateLimit!.consume('k', 1, rule)))
    expect(results.filter((r) => r.allowed)).toHaveLength(2)
  })

  it('cleanup() removes expired rows only', async () => {
    const s = schema('cleanup')
    const store = postgresStore({ pool, schema: s })
    await store.rateLimit!.consume('live', 1, { algorithm: 'fixed-window', limit: 5, windowMs: 60_000 })
    await store.rateLimit!.consume('old', 1, { algorithm: 'fixed-window', limit: 5, windowMs: 60_000 })
    await pool.query(
      `UPDATE "${s}".rate_limits SET expires_at = now() - interval '1 second' WHERE key = 'old'`,
    )
    expect(await store.cleanup()).toBe(1)
    const { rows } = await pool.query(`SELECT key FROM "${s}".rate_limits`)
    expect(rows.map((r) => r.key)).toEqual(['live'])
  })

  it('housekeeping on its own: old usage rows roll up into daily totals (reports and user_costs unchanged), finished jobs and expired rows go', async () => {
    const s = schema('housekeeping')
    const store = postgresStore({
      pool,
      schema: s,
      housekeeping: '50ms',
      usageRollupAfter: '30d',
      jobRetention: '1s',
    })
    for (let i = 0; i < 30; i++)
      await store.usage!.settle([], usageRow(`u${i % 3}`, 0.001, Date.now(), i % 10 === 0))
    await store.usage!.settle([], usageRow('fresh', 0.5))
    // Thirty rows from 40 days ago; the fresh one stays a row.
    await pool.query(
      `UPDATE "${s}".api_usage SET created_at = now() - interval '40 days' WHERE user_id <> 'fresh'`,
    )
    const since = Date.now() - 41 * 86_400_000
    const before = await pool.query(
      `SELECT user_id, total_tokens, total_cost, total_requests, cached_requests FROM "${s}".user_costs ORDER BY 1`,
    )
    await store.rateLimit!.consume('old', 1, { algorithm: 'fixed-window', limit: 5, windowMs: 60_000 })
    await pool.query(`UPDATE "${s}".rate_limits SET expires_at = now() - interval '1 second'`)
    const queue = store.queue!
    const job = {
      id: 'j1',
      type: 't',
      userId: 'u',
      data: '1',
      priority: 5,
      status: 'pending' as const,
      attempts: 0,
      maxRetries: 0,
      backoffMs: 0,
      createdAt: Date.now(),
      runAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      score: Date.now(),
    }
    await queue.add(job, { turnMs: 0 })
    const [claimed] = await queue.claim({ type: 't', max: 1, leaseMs: 10_000 })
    await queue.complete('j1', claimed!.leaseToken, '"done"')
    await pool.query(`UPDATE "${s}".agent_queue SET completed_at = now() - interval '1 minute'`)
    const counts = async () =>
      (
        await pool.query(
          `SELECT (SELECT count(*) FROM "${s}".api_usage)::int AS rows, (SELECT count(*) FROM "${s}".api_usage_daily)::int AS days,
                  (SELECT count(*) FROM "${s}".rate_limits)::int AS limits, (SELECT count(*) FROM "${s}".agent_queue)::int AS jobs`,
        )
      ).rows[0]
    const deadline = Date.now() + 10_000
    while ((await counts()).rows > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 200))
    // 3 users × (cached or not) for the old day, the fresh row kept as it is.
    expect(await counts()).toEqual({ rows: 1, days: 6, limits: 0, jobs: 0 })
    expect((await queue.counts('t')).completed).toBe(0)
    const after = await pool.query(
      `SELECT user_id, total_tokens, total_cost, total_requests, cached_requests FROM "${s}".user_costs ORDER BY 1`,
    )
    expect(after.rows).toEqual(before.rows)
    const report = await new CostTracker({ store }).report({ since })
    expect(report.requests).toBe(31)
    expect(report.cachedRequests).toBe(3)
    expect(report.tokens).toBe(31 * 15)
    expect(Math.round(report.byUser.u0! * 1e6)).toBe(10_000)
    expect(report.lines.find((l) => l.userId === 'u1')?.requests).toBe(10)
    await store.close()
  })

  it('turns an unreachable server into store_unavailable', async () => {
    const store = postgresStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      schema: schema('dead'),
    })
    const error = await store
      .rateLimit!.consume('k', 1, { algorithm: 'fixed-window', limit: 1, windowMs: 60_000 })
      .catch((e) => e)
    expect(SluiceError.is(error, 'store_unavailable')).toBe(true)
    await store.close()
  })

  it('sustained: 4 processes × 24 callers for 6 windows of each algorithm; every window within its bound', async () => {
    const script = fileURLToPath(new URL('./fixtures/sustain.mjs', import.meta.url))
    const s = schema('sustained')
    await migrate(pool, { schema: s })
    const args = [s, '6500']
    const { outputs, report } = await runSustained('postgres', script, args, { ...process.env, DATABASE_URL })
    expect(outputs.map((o) => [o.errors, o.error])).toEqual(outputs.map(() => [0, '']))
    for (const { problems } of Object.values(report)) expect(problems).toEqual([])
    expect(report.fixed!.windows.length).toBeGreaterThanOrEqual(6)
  }, 60_000)

  for (const algorithm of ['fixed-window', 'sliding-window', 'sliding-log', 'token-bucket']) {
    it(`${algorithm}: 3 processes × 200 concurrent calls on one key admit exactly the limit`, async () => {
      const script = fileURLToPath(new URL('./fixtures/hammer.mjs', import.meta.url))
      const s = schema(`mp_${algorithm}`)
      await migrate(pool, { schema: s })
      const args = [s, algorithm, '250', '200']
      const outputs = await runTogether<{ allowed: number; denied: number }>(script, [args, args, args], {
        ...process.env,
        DATABASE_URL,
      })
      const sum = (k: 'allowed' | 'denied') => outputs.reduce((n, o) => n + o[k], 0)
      // Every process made all its calls; together they got exactly the limit, whoever was first.
      expect(outputs.map((o) => o.allowed + o.denied)).toEqual([200, 200, 200])
      expect(sum('allowed')).toBe(250)
      expect(sum('denied')).toBe(350)
      const { rows } = await pool.query(`SELECT count, log FROM "${s}".rate_limits`)
      if (algorithm.endsWith('-window')) expect(rows[0].count).toBe(250)
      // A log holds [bucket, units, …]: its units add up to what was admitted.
      if (algorithm === 'sliding-log')
        expect((rows[0].log as number[]).filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)).toBe(250)
    })
  }
})

describe('postgres queue settles', () => {
  it.each([false, true])(
    '400 settles at once go in batches, and each gets its own answer (stale tokens refused); durable commits: %s',
    async (durable) => {
      const store = postgresStore({
        pool,
        schema: schema(`settles_${durable}`),
        queueDurableCommits: durable,
      })
      const port = store.queue!
      const now = Date.now()
      for (let i = 0; i < 400; i++) {
        await port.add(
          {
            id: `job-${i}`,
            type: 't',
            userId: `u${i % 7}`,
            data: String(i),
            status: 'pending',
            attempts: 0,
            priority: 5,
            maxRetries: 1,
            backoffMs: 0,
            createdAt: now,
            runAt: now,
            expiresAt: now + 60_000,
            score: now + i,
          },
          { turnMs: 0 },
        )
      }
      const claimed: Awaited<ReturnType<typeof port.claim>> = []
      while (claimed.length < 400)
        claimed.push(...(await port.claim({ type: 't', max: 100, leaseMs: 60_000 })))
      // Every fifth with a wrong token; thirds complete, fail or retry.
      const answers = await Promise.all(
        claimed.map((job, i) => {
          const token = i % 5 === 0 ? 'not-the-token' : job.leaseToken
          if (i % 3 === 0) return port.complete(job.id, token, JSON.stringify(job.data))
          if (i % 3 === 1) return port.fail(job.id, token, 'boom')
          return port.fail(job.id, token, 'again', 60_000)
        }),
      )
      expect(answers).toEqual(claimed.map((_, i) => i % 5 !== 0))
      const jobs = await Promise.all(claimed.map((job) => port.get(job.id)))
      jobs.forEach((job, i) => {
        const expected = i % 5 === 0 ? 'active' : ['completed', 'failed', 'pending'][i % 3]
        expect(job?.status).toBe(expected)
        if (expected === 'completed') expect(job?.result).toBe(JSON.stringify(claimed[i]!.data))
      })
      await store.close()
    },
  )
})

describe('postgresStore: a limit call past its timeout never takes effect', () => {
  const rule = { limit: 10, windowMs: 60_000, algorithm: 'fixed-window' as const }
  // Each key's count (windows) or tokens left (buckets), read in SQL.
  const levels = async (s: string, column: 'count' | 'tokens' = 'count') =>
    Object.fromEntries(
      (await pool.query(`SELECT key, ${column} AS n FROM "${s}".rate_limits ORDER BY key`)).rows.map((r) => [
        r.key,
        Math.round(Number(r.n)),
      ]),
    )
  // Takes the rows' locks in another transaction; once they are held, resolves to its commit after `ms`.
  async function holdRows(s: string, keys: string[], ms: number) {
    const client = await pool.connect()
    await client.query('BEGIN')
    await client.query(`SELECT key FROM "${s}".rate_limits WHERE key = ANY($1) FOR UPDATE`, [keys])
    const committed = new Promise<void>((resolve, reject) =>
      setTimeout(() => {
        client
          .query('COMMIT')
          .then(() => resolve(), reject)
          .finally(() => client.release())
      }, ms),
    )
    return { committed }
  }

  for (const algorithm of ['fixed-window', 'sliding-window', 'token-bucket'] as const) {
    it(`${algorithm}: one counter, its row locked past the timeout`, async () => {
      const s = schema(`late_one_${algorithm}`)
      // A day's window: a bucket refills too slowly here to hide a token taken late.
      const r = { ...rule, algorithm, windowMs: 86_400_000 }
      const store = postgresStore({ pool, schema: s, timeout: 300 })
      const port = store.rateLimit!
      const column = algorithm === 'token-bucket' ? 'tokens' : 'count'
      for (let i = 0; i < 5; i++) expect((await port.consume('k', 1, r)).allowed).toBe(true)
      expect(await levels(s, column)).toEqual({ k: 5 }) // five counted, or five of ten tokens left
      const held = await holdRows(s, ['k'], 900)
      await expect(port.consume('k', 1, r)).rejects.toMatchObject({ code: 'store_unavailable' })
      await held.committed
      await new Promise((done) => setTimeout(done, 200)) // the statement ran when the lock went
      expect(await levels(s, column)).toEqual({ k: 5 })
      await store.close()
    })
  }

  it('several counters in one call (rate_limit_batch), their rows locked past the timeout', async () => {
    const s = schema('late_many')
    const store = postgresStore({ pool, schema: s, timeout: 300 })
    const port = store.rateLimit!
    const items = [
      { key: 'a', cost: 1, rule },
      { key: 'b', cost: 1, rule },
    ]
    for (let i = 0; i < 5; i++) for (const d of await port.consumeAll(items)) expect(d.allowed).toBe(true)
    expect(await levels(s)).toEqual({ a: 5, b: 5 })
    const held = await holdRows(s, ['a', 'b'], 900)
    await expect(port.consumeAll(items)).rejects.toMatchObject({ code: 'store_unavailable' })
    await held.committed
    await new Promise((done) => setTimeout(done, 200))
    expect(await levels(s)).toEqual({ a: 5, b: 5 })
    await store.close()
  })
})
