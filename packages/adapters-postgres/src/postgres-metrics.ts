import type { MetricsPort } from '@sluice/core/adapter'
import type { Query } from './query'

const MS = `* interval '1 millisecond'`

/**
 * The metrics port: counters and set members by upsert, a whole flush in one statement. Rows
 * go in name order, so concurrent flushes from several instances lock them in the same order.
 */
export function postgresMetrics(query: Query, s: string): MetricsPort {
  const sql = `
WITH c AS (
  INSERT INTO ${s}.metric_counters AS m (name, value, expires_at)
  SELECT n, by, now() + ttl ${MS} FROM unnest($1::text[], $2::float8[], $3::float8[]) AS x(n, by, ttl) ORDER BY n
  ON CONFLICT (name) DO UPDATE SET
    value = CASE WHEN m.expires_at > now() THEN m.value ELSE 0 END + EXCLUDED.value,
    expires_at = EXCLUDED.expires_at
  RETURNING 1
), s AS (
  INSERT INTO ${s}.metric_members (name, member, expires_at)
  SELECT n, mem, now() + ttl ${MS} FROM unnest($4::text[], $5::text[], $6::float8[]) AS y(n, mem, ttl) ORDER BY n, mem
  ON CONFLICT (name, member) DO UPDATE SET expires_at = EXCLUDED.expires_at
  RETURNING 1
)
SELECT (SELECT count(*) FROM c) AS counters, (SELECT count(*) FROM s) AS members`
  return {
    async write({ counters, sets }) {
      if (counters.length === 0 && sets.length === 0) return
      const members = sets.flatMap((set) => set.members.map((m) => [set.name, m, set.ttlMs] as const))
      await query(sql, [
        counters.map((c) => c.name),
        counters.map((c) => c.by),
        counters.map((c) => c.ttlMs),
        members.map((m) => m[0]),
        members.map((m) => m[1]),
        members.map((m) => m[2]),
      ])
    },
    async get(names) {
      if (names.length === 0) return []
      const rows = await query<{ name: string; value: number }>(
        `SELECT name, value FROM ${s}.metric_counters WHERE name = ANY($1::text[]) AND expires_at > now()`,
        [names],
      )
      const byName = new Map(rows.map((r) => [r.name, Number(r.value)]))
      return names.map((n) => byName.get(n) ?? 0)
    },
    async countDistinct(names) {
      if (names.length === 0) return 0
      const [row] = await query<{ n: string }>(
        `SELECT count(DISTINCT member) AS n FROM ${s}.metric_members WHERE name = ANY($1::text[]) AND expires_at > now()`,
        [names],
      )
      return Number(row?.n ?? 0)
    },
  }
}
