import { up as queueUp } from './004-queue'

/**
 * Queue counts in O(1): `queue_counts` holds the jobs per type and status, moved by statement
 * triggers on `agent_queue` (one counter change per type and status a statement moved, not one
 * per row). Each backend writes only rows of its own shard (its pid), so no two transactions
 * ever wait on a counter or lock counters in a circle; shard 0 holds the start and the shards
 * of backends that have gone, merged by `queue_counts_merge` (which skips locked rows, so it
 * never waits either). Counts are the sum of a type's few rows. The sweep trims up to 2,000
 * finished jobs at a time (was 100: fewer than a busy queue finishes in a second). An index of
 * the waiting jobs by run_at lets `position()` count the delayed ones apart from the line.
 * `s` is the quoted schema.
 */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`

export const up = (s: string) => {
  // Migration 4's sweep, trimming 2,000 finished jobs a turn and folding gone backends' counters.
  const old = queueUp(s).match(/CREATE OR REPLACE FUNCTION [^\n]*queue_sweep[\s\S]*?\$fn\$;\n/)![0]
  const sweep = old.replace(
    'queue_trim(p_retention_ms, 100);',
    `queue_trim(p_retention_ms, 2000);\n  PERFORM ${s}.queue_counts_merge();`,
  )
  if (sweep === old) throw new Error('migration 12: queue_sweep of migration 4 not found as expected')
  return `
CREATE TABLE IF NOT EXISTS ${s}.queue_counts (
  agent_type  text NOT NULL,
  status      text NOT NULL,
  shard       int NOT NULL,
  n           bigint NOT NULL,
  PRIMARY KEY (agent_type, status, shard)
);

CREATE INDEX IF NOT EXISTS agent_queue_delayed_idx ON ${s}.agent_queue (agent_type, run_at) WHERE status = 'pending';

-- The start: what the table holds now, with writers held off until this commits.
LOCK TABLE ${s}.agent_queue IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO ${s}.queue_counts (agent_type, status, shard, n)
SELECT agent_type, status, 0, count(*) FROM ${s}.agent_queue GROUP BY 1, 2
ON CONFLICT (agent_type, status, shard) DO UPDATE SET n = excluded.n;

-- Adds (type, status, delta) rows to this backend's shard, in one order.
CREATE OR REPLACE FUNCTION ${s}.queue_counts_add(p_types text[], p_statuses text[], p_deltas bigint[])
RETURNS void LANGUAGE sql AS $$
  INSERT INTO ${s}.queue_counts AS c (agent_type, status, shard, n)
  SELECT t, st, pg_backend_pid(), sum(d) FROM unnest(p_types, p_statuses, p_deltas) AS m(t, st, d)
   GROUP BY t, st HAVING sum(d) <> 0 ORDER BY t, st
  ON CONFLICT (agent_type, status, shard) DO UPDATE SET n = c.n + excluded.n
$$;

CREATE OR REPLACE FUNCTION ${s}.queue_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ${s}.queue_counts_add(array_agg(agent_type), array_agg(status), array_agg(1::bigint))
     FROM new_rows HAVING count(*) > 0;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.queue_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ${s}.queue_counts_add(array_agg(agent_type), array_agg(status), array_agg(-1::bigint))
     FROM old_rows HAVING count(*) > 0;
  RETURN NULL;
END
$fn$;

-- An update moves a job from its old status to its new one (a lease renewal moves nothing).
CREATE OR REPLACE FUNCTION ${s}.queue_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ${s}.queue_counts_add(array_agg(m.t), array_agg(m.st), array_agg(m.d))
     FROM (SELECT o.agent_type AS t, o.status AS st, -1::bigint AS d
             FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.status <> o.status
           UNION ALL
           SELECT w.agent_type, w.status, 1::bigint
             FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.status <> o.status) m
   HAVING count(*) > 0;
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS agent_queue_counts_insert ON ${s}.agent_queue;
DROP TRIGGER IF EXISTS agent_queue_counts_update ON ${s}.agent_queue;
DROP TRIGGER IF EXISTS agent_queue_counts_delete ON ${s}.agent_queue;
CREATE TRIGGER agent_queue_counts_insert AFTER INSERT ON ${s}.agent_queue
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.queue_counts_on_insert();
CREATE TRIGGER agent_queue_counts_update AFTER UPDATE ON ${s}.agent_queue
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.queue_counts_on_update();
CREATE TRIGGER agent_queue_counts_delete AFTER DELETE ON ${s}.agent_queue
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.queue_counts_on_delete();

-- Folds the shards of backends that are gone into shard 0; one merger at a time, waiting on nothing.
CREATE OR REPLACE FUNCTION ${s}.queue_counts_merge() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('sluice.queue_counts_merge.' || ${literal(s)})) THEN RETURN; END IF;
  WITH gone AS (
    DELETE FROM ${s}.queue_counts c
     WHERE ctid IN (SELECT ctid FROM ${s}.queue_counts
                     WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity)
                     FOR UPDATE SKIP LOCKED)
    RETURNING agent_type, status, n)
  INSERT INTO ${s}.queue_counts AS c (agent_type, status, shard, n)
  SELECT agent_type, status, 0, sum(n) FROM gone GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (agent_type, status, shard) DO UPDATE SET n = c.n + excluded.n;
END
$fn$;

${sweep}`
}
