import { sqlLiteral } from '../identifiers'
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

-- Each trigger adds its statement's moves to this backend's shard in one upsert, in one order.
-- An update is -1 for each old row and +1 for each new one, summed: a row whose status did not
-- change (a lease renewed) cancels out, and no join of the two transition tables is needed (they
-- have no statistics: a join of a 1,000-row claim was planned as a nested loop).
CREATE OR REPLACE FUNCTION ${s}.queue_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO ${s}.queue_counts AS c (agent_type, status, shard, n)
  SELECT agent_type, status, pg_backend_pid(), count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (agent_type, status, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.queue_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO ${s}.queue_counts AS c (agent_type, status, shard, n)
  SELECT agent_type, status, pg_backend_pid(), -count(*) FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (agent_type, status, shard) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.queue_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO ${s}.queue_counts AS c (agent_type, status, shard, n)
  SELECT t, st, pg_backend_pid(), sum(d)
    FROM (SELECT agent_type AS t, status AS st, -1 AS d FROM old_rows
          UNION ALL SELECT agent_type, status, 1 FROM new_rows) m
   GROUP BY 1, 2 HAVING sum(d) <> 0 ORDER BY 1, 2
  ON CONFLICT (agent_type, status, shard) DO UPDATE SET n = c.n + excluded.n;
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
  IF NOT pg_try_advisory_xact_lock(hashtext('sluice.queue_counts_merge.' || ${sqlLiteral(s)})) THEN RETURN; END IF;
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
