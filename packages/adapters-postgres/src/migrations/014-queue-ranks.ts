import { sqlLiteral } from '../identifiers'
import { up as countsUp } from './012-queue-counts'

/** Buckets per bucket of the level above: the tree's fan-out. */
const FAN = 64
/** The counter tree's levels: level l counts waiting jobs per key bucket 64^(l+1) ms wide (the top: 139 years). */
export const RANK_LEVELS = 7
const levels = Array.from({ length: RANK_LEVELS }, (_, l) => `(${l}, ${FAN ** (l + 1)}::float8)`).join(', ')
/** Keys are clamped to ±2^50 ms (35,000 years) so every bucket fits a bigint. */
const EDGE = 2 ** 50

/**
 * A job's place in line in O(log n): `queue_ranks` is a counter tree of the waiting jobs. A waiting
 * job is counted in one of two trees, by its `ranked_due` flag: the due tree keyed by score (the
 * claim order) or the delayed tree keyed by run_at. At level l a row counts the jobs whose key
 * falls in one bucket 64^(l+1) ms wide, so the jobs before a key are at most 63 rows per level
 * (the older siblings of its bucket) plus the jobs in its own 64 ms bucket, counted from the index.
 *
 * The count triggers of migration 12 move only the bottom level, in one more upsert into the
 * writing backend's shard (its pid: no transaction waits on another's counter). The other levels
 * live in shard 0 alone: `queue_ranks_fold` moves a bounded batch of shard rows into it, every
 * level at once, and drops what sums to zero; one folder at a time, skipping rows a writer holds,
 * so it never waits. Positions count the rows not folded yet apart (by their own index), and fold
 * a batch first, so there are few.
 *
 * The flag is set on every write that leaves a job waiting (due when its run_at has passed), and
 * `queue_ranks_due` moves delayed jobs that came due into the due tree: `queue_position` does so
 * first (each job moves once, so over time that is O(1) a job) and the sweep in batches.
 * `s` is the quoted schema.
 */
export const up = (s: string) => {
  const counted = countsUp(s)
  const old = counted.match(/CREATE OR REPLACE FUNCTION [^\n]*queue_sweep[\s\S]*?\$fn\$;\n/)![0]
  const sweep = old.replace(
    `PERFORM ${s}.queue_counts_merge();`,
    `PERFORM ${s}.queue_counts_merge();\n  PERFORM ${s}.queue_ranks_due(p_type, 2000);`,
  )
  if (sweep === old) throw new Error('migration 14: queue_sweep of migration 12 not found as expected')
  const key = (row: string) =>
    `least(greatest(CASE WHEN ${row}.ranked_due THEN ${row}.score ELSE ${s}.ms(${row}.run_at) END, -${EDGE}::float8), ${EDGE}::float8)`
  // A statement's moves, summed per bottom bucket, in one order: -1 for each waiting row it
  // changed or removed, +1 for each it left waiting.
  const withRanks = (op: string, tables: [string, number][]) => {
    const fn = counted.match(
      new RegExp(`CREATE OR REPLACE FUNCTION [^\\n]*queue_counts_on_${op}\\(\\)[\\s\\S]*?\\$fn\\$;\\n`),
    )![0]
    const ranked = fn.replace(
      '  RETURN NULL;\nEND',
      `  INSERT INTO ${s}.queue_ranks AS c (agent_type, due, level, bucket, shard, n)
  SELECT m.t, m.due, 0, floor(m.k / ${FAN})::bigint, pg_backend_pid(), sum(m.d)
    FROM (${tables.map(([rows, d]) => `SELECT agent_type AS t, ranked_due AS due, ${key('o')} AS k, ${d} AS d FROM ${rows} o WHERE status = 'pending'`).join('\n          UNION ALL ')}) m
   GROUP BY 1, 2, 4 HAVING sum(m.d) <> 0 ORDER BY 1, 2, 4
  ON CONFLICT (agent_type, due, level, bucket, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END`,
    )
    if (ranked === fn)
      throw new Error(`migration 14: queue_counts_on_${op} of migration 12 not found as expected`)
    return ranked
  }
  return `
ALTER TABLE ${s}.agent_queue ADD COLUMN IF NOT EXISTS ranked_due boolean NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS ${s}.queue_ranks (
  agent_type  text NOT NULL,
  due         boolean NOT NULL,
  level       smallint NOT NULL,
  bucket      bigint NOT NULL,
  shard       int NOT NULL,
  n           bigint NOT NULL,
  PRIMARY KEY (agent_type, due, level, bucket, shard)
);
-- The rows not folded yet (bottom level, a backend's shard), by bucket.
CREATE INDEX IF NOT EXISTS queue_ranks_unfolded_idx ON ${s}.queue_ranks (agent_type, due, bucket) WHERE shard <> 0;

-- The delayed jobs not yet in the due tree, by when they come due (replaces migration 12's index).
DROP INDEX IF EXISTS ${s}.agent_queue_delayed_idx;
CREATE INDEX IF NOT EXISTS agent_queue_delayed_rank_idx ON ${s}.agent_queue (agent_type, run_at, id)
  WHERE status = 'pending' AND NOT ranked_due;

-- A job left waiting is due when its run_at has passed at the write.
CREATE OR REPLACE FUNCTION ${s}.queue_ranks_flag() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.ranked_due := NEW.run_at <= now();
  RETURN NEW;
END
$fn$;

-- The start: the waiting jobs flagged and counted, with writers held off until this commits.
LOCK TABLE ${s}.agent_queue IN SHARE ROW EXCLUSIVE MODE;
UPDATE ${s}.agent_queue SET ranked_due = run_at <= now() WHERE status = 'pending';
DELETE FROM ${s}.queue_ranks;
INSERT INTO ${s}.queue_ranks (agent_type, due, level, bucket, shard, n)
SELECT o.agent_type, o.ranked_due, l.level, floor(${key('o')} / l.width)::bigint, 0, count(*)
  FROM ${s}.agent_queue o CROSS JOIN (VALUES ${levels}) l(level, width)
 WHERE o.status = 'pending' GROUP BY 1, 2, 3, 4;

DROP TRIGGER IF EXISTS agent_queue_ranks_flag ON ${s}.agent_queue;
CREATE TRIGGER agent_queue_ranks_flag BEFORE INSERT OR UPDATE ON ${s}.agent_queue
  FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION ${s}.queue_ranks_flag();
${withRanks('insert', [['new_rows', 1]])}
${withRanks('update', [
  ['old_rows', -1],
  ['new_rows', 1],
])}
${withRanks('delete', [['old_rows', -1]])}
-- Delayed jobs of p_type that came due join the due tree (at most p_max; NULL: all), locked in
-- one order so two movers never wait on each other in a circle. How many moved.
CREATE OR REPLACE FUNCTION ${s}.queue_ranks_due(p_type text, p_max int) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  moved bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${s}.agent_queue
                  WHERE agent_type = p_type AND status = 'pending' AND NOT ranked_due AND run_at <= now()) THEN
    RETURN 0; -- (an UPDATE of no rows would still run the statement triggers)
  END IF;
  WITH came AS (
    SELECT id FROM ${s}.agent_queue
     WHERE agent_type = p_type AND status = 'pending' AND NOT ranked_due AND run_at <= now()
     ORDER BY run_at, id LIMIT p_max FOR UPDATE),
  moved AS (UPDATE ${s}.agent_queue q SET ranked_due = true FROM came WHERE q.id = came.id RETURNING 1)
  SELECT count(*) INTO moved FROM moved;
  RETURN moved;
END
$fn$;

-- Moves up to p_max shard rows into shard 0, at every level, and drops the rows that come to
-- zero: one folder at a time, skipping rows a writer holds (they go next turn), so it never waits.
-- How many shard rows it moved.
CREATE OR REPLACE FUNCTION ${s}.queue_ranks_fold(p_max int) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  moved bigint;
  ts text[]; ds boolean[]; ls int[]; bs bigint[];
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('sluice.queue_ranks_fold.' || ${sqlLiteral(s)})) THEN RETURN 0; END IF;
  IF NOT EXISTS (SELECT 1 FROM ${s}.queue_ranks WHERE shard <> 0) THEN RETURN 0; END IF;
  WITH gone AS (
    DELETE FROM ${s}.queue_ranks c
     WHERE ctid IN (SELECT ctid FROM ${s}.queue_ranks WHERE shard <> 0 LIMIT p_max FOR UPDATE SKIP LOCKED)
    RETURNING agent_type, due, bucket, n),
  folded AS (
    INSERT INTO ${s}.queue_ranks AS c (agent_type, due, level, bucket, shard, n)
    SELECT g.agent_type, g.due, l.level, floor(g.bucket / (l.width / ${FAN}))::bigint, 0, sum(g.n)
      FROM gone g CROSS JOIN (VALUES ${levels}) l(level, width)
     GROUP BY 1, 2, 3, 4 HAVING sum(g.n) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (agent_type, due, level, bucket, shard) DO UPDATE SET n = c.n + excluded.n
    RETURNING c.agent_type, c.due, c.level, c.bucket, c.n)
  SELECT (SELECT count(*) FROM gone), array_agg(agent_type) FILTER (WHERE n = 0), array_agg(due) FILTER (WHERE n = 0),
         array_agg(level) FILTER (WHERE n = 0), array_agg(bucket) FILTER (WHERE n = 0)
    INTO moved, ts, ds, ls, bs FROM folded;
  IF ts IS NOT NULL THEN
    DELETE FROM ${s}.queue_ranks r USING unnest(ts, ds, ls, bs) z(t, d, l, b)
     WHERE r.agent_type = z.t AND r.due = z.d AND r.level = z.l AND r.bucket = z.b AND r.shard = 0 AND r.n = 0;
  END IF;
  RETURN moved;
END
$fn$;

-- 1-based place among the waiting jobs of its type (due ones in claim order, then the delayed
-- ones by run_at, ties by id), 0 when not waiting, in one snapshot: per level of its tree, the
-- older siblings of the job's bucket (every older bucket at the top level), the rows not folded
-- yet, then the jobs in its own 64 ms bucket from the index; a delayed job also has every due
-- job before it.
CREATE OR REPLACE FUNCTION ${s}.queue_position(p_id text) RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  v_type text;
BEGIN
  SELECT agent_type INTO v_type FROM ${s}.agent_queue WHERE id = p_id AND status = 'pending';
  IF NOT FOUND THEN RETURN 0; END IF;
  PERFORM ${s}.queue_ranks_due(v_type, NULL);
  PERFORM ${s}.queue_ranks_fold(5000);
  RETURN (
    WITH j AS (
      SELECT o.agent_type AS t, o.id, o.score, o.run_at, o.ranked_due AS due, ${key('o')} AS k
        FROM ${s}.agent_queue o WHERE o.id = p_id AND o.status = 'pending'),
    b AS (SELECT j.*, CASE WHEN j.k <= -${EDGE} THEN '-infinity'::float8 ELSE floor(j.k / ${FAN}) * ${FAN} END AS lo FROM j)
    SELECT (1
      + (SELECT coalesce(sum(c.n), 0)
           FROM (VALUES ${levels}) l(level, width)
          CROSS JOIN LATERAL (
            SELECT sum(r.n) AS n FROM ${s}.queue_ranks r
             WHERE r.agent_type = b.t AND r.due = b.due AND r.level = l.level AND r.shard = 0
               AND r.bucket < floor(b.k / l.width)::bigint
               AND r.bucket >= CASE WHEN l.level = ${RANK_LEVELS - 1} THEN -${2 ** 62}::bigint
                                    ELSE floor(b.k / (l.width * ${FAN}))::bigint * ${FAN} END) c)
      + (SELECT coalesce(sum(r.n), 0) FROM ${s}.queue_ranks r
          WHERE r.agent_type = b.t AND r.due = b.due AND r.shard <> 0 AND r.bucket < floor(b.k / ${FAN})::bigint)
      + CASE WHEN b.due THEN
          (SELECT count(*) FROM ${s}.agent_queue x
            WHERE x.agent_type = b.t AND x.status = 'pending' AND x.ranked_due
              AND x.score >= b.lo AND (x.score, x.id) < (b.score, b.id))
        ELSE
          (SELECT coalesce(sum(r.n), 0) FROM ${s}.queue_ranks r
            WHERE r.agent_type = b.t AND r.due AND r.level = ${RANK_LEVELS - 1} AND r.shard = 0)
          + (SELECT coalesce(sum(r.n), 0) FROM ${s}.queue_ranks r
              WHERE r.agent_type = b.t AND r.due AND r.shard <> 0)
          + (SELECT count(*) FROM ${s}.agent_queue x
              WHERE x.agent_type = b.t AND x.status = 'pending' AND NOT x.ranked_due
                AND x.run_at >= ${s}.at_ms(b.lo) - interval '1 millisecond' AND ${s}.ms(x.run_at) >= b.lo
                AND (x.run_at, x.id) < (b.run_at, b.id))
        END)::int
      FROM b);
END
$fn$;

${sweep}`
}
