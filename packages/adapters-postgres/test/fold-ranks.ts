import type pg from 'pg'

/** Folds the schema's position tree (migration 14) until no shard row is left. `s`: the quoted schema. */
export async function foldRanks(pool: pg.Pool, s: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const { rows } = await pool.query<{ n: string }>(`SELECT ${s}.queue_ranks_fold(100000) AS n`)
    if (rows[0]!.n === '0') return
  }
}
