import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { runTogether } from '../../../scripts/processes'
import { DATABASE_URL } from '../../../scripts/services.mjs'
import { migrate, postgresStore } from '../src'
import { MIGRATIONS } from '../src/migrations'
import { RANK_LEVELS } from '../src/migrations/014-queue-ranks'
import { foldRanks } from './fold-ranks'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
const schema = `t_ranks_${process.pid}_${Date.now().toString(36)}`
const s = `"${schema}"`
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`)
  await pool.end()
})

/** Every waiting job's place counted the slow way: due ones by (score, id), then delayed by (run_at, id). */
async function placesByScan(): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: string; n: string }>(
    `SELECT id, row_number() OVER (ORDER BY run_at > now(), CASE WHEN run_at <= now() THEN score END, run_at, id) AS n
       FROM ${s}.agent_queue WHERE agent_type = 'ranks' AND status = 'pending'`,
  )
  return new Map(rows.map((r) => [r.id, Number(r.n)]))
}

/** Rows straight into the table: scores on both sides of bucket edges, ties, and past the clamp. */
async function insertEdges(): Promise<number> {
  const base = 1_700_000_000_000
  const scores: number[] = []
  for (let level = 1; level <= RANK_LEVELS; level++) {
    const w = 64 ** level
    scores.push(base - (base % w) + w - 1, base - (base % w) + w, base - (base % w) + w + 0.5)
  }
  scores.push(base, base, base, -5, -(2 ** 51), -(2 ** 51), 2 ** 51, 2 ** 52, 0.25)
  await pool.query(
    `INSERT INTO ${s}.agent_queue (id, user_id, agent_type, request_data, status, run_at, score, expires_at)
     SELECT 'edge-' || lpad(i::text, 3, '0'), 'edge', 'ranks', '{}'::json, 'pending',
            CASE WHEN i % 4 = 3 THEN now() + interval '20 minutes' + (i % 8) * interval '1 millisecond'
                 ELSE now() - interval '1 minute' END,
            sc, now() + interval '1 day'
       FROM unnest($1::float8[]) WITH ORDINALITY u(sc, i)`,
    [scores],
  )
  return scores.length
}

describe('postgres position(): the counter tree', () => {
  it('3 processes add, claim, retry and cancel for 4 s; then every waiting job is where a full count puts it', async () => {
    await migrate(pool, { schema })
    const edges = await insertEdges()
    const script = fileURLToPath(new URL('./fixtures/ranks.mjs', import.meta.url))
    const outputs = await runTogether<Record<string, number>>(
      script,
      ['a', 'b', 'c'].map((p) => [schema, p, '4000']),
      { ...process.env, DATABASE_URL },
    )
    for (const o of outputs) expect(o.added).toBeGreaterThan(100)
    expect(outputs.reduce((n, o) => n + (o.retried ?? 0), 0)).toBeGreaterThan(20)
    await new Promise((r) => setTimeout(r, 2_000)) // the jobs delayed "soon" are due now
    const store = postgresStore({ pool, schema })
    // Counted twice: with the fold held off (the rows not folded yet are counted apart), then as usual.
    const unfolded = await pool.query(`SELECT count(*)::int AS n FROM ${s}.queue_ranks WHERE shard <> 0`)
    expect(unfolded.rows[0].n).toBeGreaterThan(0)
    const holder = await pool.connect()
    await holder.query('BEGIN')
    await holder.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`sluice.queue_ranks_fold.${s}`])
    const whileHeld = new Map<string, number>()
    for (const id of (await placesByScan()).keys()) whileHeld.set(id, await store.queue!.position(id))
    expect(whileHeld).toEqual(await placesByScan())
    await holder.query('COMMIT')
    holder.release()
    const expected = await placesByScan()
    // Both kinds in the line: due jobs and jobs still delayed (for 10 minutes or more).
    const delayed = await pool.query(
      `SELECT count(*)::int AS n FROM ${s}.agent_queue WHERE status = 'pending' AND run_at > now()`,
    )
    expect(delayed.rows[0].n).toBeGreaterThan(10)
    expect(expected.size).toBeGreaterThan(edges)
    const got = new Map<string, number>()
    for (const id of expected.keys()) got.set(id, await store.queue!.position(id))
    expect(got).toEqual(expected)
    // Jobs out of line (active, finished) have no place.
    const out = await pool.query<{ id: string }>(
      `SELECT id FROM ${s}.agent_queue WHERE status <> 'pending' LIMIT 50`,
    )
    expect(out.rows.length).toBeGreaterThan(0)
    for (const { id } of out.rows) expect(await store.queue!.position(id)).toBe(0)
    expect(await store.queue!.position('no-such-job')).toBe(0)

    // Once folded, each level of the tree counts every waiting job once, whatever shard its moves went to.
    await foldRanks(pool, s)
    const levels = await pool.query<{ due: boolean; level: number; n: string }>(
      `SELECT due, level, sum(n) AS n FROM ${s}.queue_ranks GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    const flagged = await pool.query<{ due: boolean; n: string }>(
      `SELECT ranked_due AS due, count(*) AS n FROM ${s}.agent_queue WHERE status = 'pending' GROUP BY 1`,
    )
    for (const l of levels.rows) expect(l.n).toBe(flagged.rows.find((f) => f.due === l.due)?.n ?? '0')
    expect(levels.rows.length).toBe(2 * RANK_LEVELS)

    // Empty the line: once folded, the tree keeps no rows (nothing grows with time).
    await pool.query(
      `UPDATE ${s}.agent_queue SET status = 'cancelled', completed_at = now() WHERE status <> 'cancelled'`,
    )
    await foldRanks(pool, s)
    const left = await pool.query(`SELECT count(*)::int AS n FROM ${s}.queue_ranks`)
    expect(left.rows[0].n).toBe(0)
    await store.close()
  }, 60_000)
})

describe('postgres position(): migration 14 on a live queue', () => {
  it('a schema at migration 13 with waiting jobs (due and delayed) upgrades with every place right', async () => {
    const old = `${schema}_up`
    const o = `"${old}"`
    try {
      await pool.query(`CREATE SCHEMA ${o}`)
      await pool.query(
        `CREATE TABLE ${o}.migrations (id int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      )
      for (const m of MIGRATIONS.filter((m) => m.id <= 13)) {
        await pool.query(m.up(o))
        await pool.query(`INSERT INTO ${o}.migrations (id, name) VALUES ($1, $2)`, [m.id, m.name])
      }
      await pool.query(
        `INSERT INTO ${o}.agent_queue (id, user_id, agent_type, request_data, status, run_at, score, expires_at)
         SELECT 'j' || lpad(g::text, 4, '0'), 'u', 'ranks', '{}'::json, CASE WHEN g % 10 = 0 THEN 'active' ELSE 'pending' END,
                now() + CASE WHEN g % 3 = 0 THEN interval '30 minutes' ELSE interval '-1 minute' END + g * interval '1 ms',
                1700000000000 + (g * 7919) % 5000, now() + interval '1 day'
           FROM generate_series(1, 3000) g`,
      )
      expect(await migrate(pool, { schema: old })).toEqual([14])
      const store = postgresStore({ pool, schema: old })
      const { rows } = await pool.query<{ id: string; n: string }>(
        `SELECT id, row_number() OVER (ORDER BY run_at > now(), CASE WHEN run_at <= now() THEN score END, run_at, id) AS n
           FROM ${o}.agent_queue WHERE status = 'pending'`,
      )
      expect(rows.length).toBe(2700)
      for (const r of rows.filter((_, i) => i % 7 === 0))
        expect([r.id, await store.queue!.position(r.id)]).toEqual([r.id, Number(r.n)])
      await store.close()
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${o} CASCADE`)
    }
  })
})
