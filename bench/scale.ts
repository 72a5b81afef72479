// stats() and a job's place in line with a big queue table: PostgreSQL with 1,000,000 finished
// jobs and 100,000 waiting (the figure: within 2 ms). Beside it, the query stats() ran
// before the counters (a count over the table, grouped by status) for the ratio, and position()
// of the first, middle and last waiting job.
import { createSluice, deepseek, memoryStore } from '@sluice/core'
import { migrate, postgresStore } from '@sluice/postgres'
import pg from 'pg'
import { DATABASE_URL, ensureServices } from '../scripts/services.mjs'
import { measure, printTable } from './stats'

const FINISHED = Number(process.env.BENCH_SCALE_FINISHED ?? 1_000_000)
const WAITING = Number(process.env.BENCH_SCALE_WAITING ?? 100_000)
const CHUNK = 100_000

/** The memory store with the same waiting jobs: its counts and positions (a ranked tree per type). */
async function onMemory(): Promise<void> {
  const store = memoryStore({ maxJobs: WAITING * 2 })
  const q = store.queue!
  const t = Date.now()
  for (let i = 0; i < WAITING; i++) {
    const id = `m${i}`
    await q.add(
      {
        id,
        type: 'chat',
        userId: `u${i}`,
        data: '{}',
        priority: 5,
        status: 'pending',
        attempts: 0,
        maxRetries: 0,
        backoffMs: 0,
        createdAt: t,
        runAt: t - 1,
        expiresAt: t + 86_400_000,
        score: t + i,
      },
      { turnMs: 0 },
    )
  }
  printTable(`memory, ${WAITING.toLocaleString('en')} waiting`, [
    ['queue.counts()', await measure(() => q.counts('chat'), 2_000, 100)],
    ['position(): first waiting job', await measure(() => q.position('m0'), 2_000, 100)],
    ['position(): middle waiting job', await measure(() => q.position(`m${WAITING / 2}`), 2_000, 100)],
    ['position(): last waiting job', await measure(() => q.position(`m${WAITING - 1}`), 2_000, 100)],
  ])
}

export async function scale(): Promise<void> {
  await onMemory()
  await ensureServices()
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
  const schema = `bench_scale_${process.pid}`
  const s = `"${schema}"`
  try {
    await migrate(pool, { schema })
    const started = performance.now()
    // Rows as the queue writes them, in chunks (each one statement: its counters move once).
    const fill = async (status: string, total: number, offset: number) => {
      for (let from = 0; from < total; from += CHUNK) {
        const n = Math.min(CHUNK, total - from)
        await pool.query(
          `INSERT INTO ${s}.agent_queue (id, user_id, agent_type, request_data, status, run_at, score, expires_at, completed_at, attempts)
           SELECT 'j' || (g + $3), 'u' || (g % 100000), 'chat', '{}'::json, $1, now() - interval '1 hour',
                  extract(epoch from now()) * 1000 - 3600000 + g + $3, now() + interval '1 day',
                  CASE WHEN $1 = 'pending' THEN NULL ELSE now() END, CASE WHEN $1 = 'pending' THEN 0 ELSE 1 END
             FROM generate_series($4::int, $4::int + $2 - 1) g`,
          [status, n, offset, from],
        )
      }
    }
    await fill('completed', FINISHED, 0)
    await fill('pending', WAITING, FINISHED)
    await pool.query(`VACUUM ANALYZE ${s}.agent_queue`) // settled, as a table that has lived a while: autovacuum does not run mid-measure
    console.log(
      `filled ${FINISHED.toLocaleString('en')} finished + ${WAITING.toLocaleString('en')} waiting jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
    // Housekeeping off, a retention longer than the run: nothing is removed while it measures.
    const store = postgresStore({ pool, schema, housekeeping: false, jobRetention: '1d' })
    const sluice = createSluice({
      store,
      providers: [deepseek({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' })],
      queue: { worker: false },
    })
    const counts = await store.queue!.counts('chat')
    console.log(`counts('chat'): ${JSON.stringify(counts)}`)
    const scan = `SELECT status, count(*)::int AS n FROM ${s}.agent_queue WHERE agent_type = 'chat' GROUP BY status`
    const first = `j${FINISHED}`
    const middle = `j${FINISHED + Math.floor(WAITING / 2)}`
    const last = `j${FINISHED + WAITING - 1}`
    console.log(
      `positions: first ${await store.queue!.position(first)}, middle ${await store.queue!.position(middle)}, last ${await store.queue!.position(last)}`,
    )
    const rows: [string, Awaited<ReturnType<typeof measure>>][] = [
      ['sluice.stats() (counters)', await measure(() => sluice.stats(), 300, 20)],
      ['queue.counts() (counters)', await measure(() => store.queue!.counts(), 300, 20)],
      ['count(*) GROUP BY status (before)', await measure(() => pool.query(scan), 20, 2)],
      ['position(): first waiting job', await measure(() => store.queue!.position(first), 200, 10)],
      ['position(): middle waiting job', await measure(() => store.queue!.position(middle), 50, 5)],
      ['position(): last waiting job', await measure(() => store.queue!.position(last), 50, 5)],
    ]
    printTable(
      `PostgreSQL, ${FINISHED.toLocaleString('en')} finished + ${WAITING.toLocaleString('en')} waiting`,
      rows,
    )
    const statsP50 = rows[0]![1].p50
    const scanP50 = rows[2]![1].p50
    console.log(
      `stats() p50 ${(statsP50 / 1000).toFixed(2)} ms (goal ≤ 2 ms: ${statsP50 <= 2000 ? 'met' : 'missed'}); ${(scanP50 / statsP50).toFixed(0)}× faster than the count it replaced`,
    )
    await sluice.close()
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`)
    await pool.end()
  }
}
