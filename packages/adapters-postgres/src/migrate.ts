import type { Pool } from 'pg'
import { quoteSchema } from './identifiers'
import { MIGRATIONS } from './migrations'

/**
 * Creates the schema and applies pending migrations. Safe to run from many processes at once: an
 * advisory lock per schema serialises them. Returns the ids applied by this call.
 */
export async function migrate(pool: Pool, options: { schema?: string } = {}): Promise<number[]> {
  const schemaName = options.schema ?? 'sluice'
  const s = quoteSchema(schemaName)
  const client = await pool.connect()
  const applied: number[] = []
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice.migrate.${schemaName}`])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (id int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    const done = new Set(
      (await client.query<{ id: number }>(`SELECT id FROM ${s}.migrations`)).rows.map((r) => r.id),
    )
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue
      await client.query(m.up(s))
      await client.query(`INSERT INTO ${s}.migrations (id, name) VALUES ($1, $2)`, [m.id, m.name])
      applied.push(m.id)
    }
    await client.query('COMMIT')
    return applied
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
