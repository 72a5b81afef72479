/** The advisory lock space of the per-job locks watchers and finishers share (as in migration 4). */
const WATCH_LOCK = 0x51575431

/**
 * Groups and set-based settles. A job may carry a `group_key`; a group claim takes the first job
 * in line and up to `p_max - 1` more pending jobs of its group, by a partial index of their own.
 * `queue_add` takes the group, and moves the client's times onto the server's clock. `queue_settle_many` completes and fails a whole batch with one
 * statement per step (jobs, users, watchers) instead of a loop of single settles; retries still
 * go one by one. Wake-ups leave the database functions: the adapter sends one after an add has
 * committed (a worker that looked before the commit hears it; one that looks after sees the job),
 * so adds and claims no longer meet on a lock and `queue_waiting` goes. `s` is the quoted schema.
 */
export const up = (s: string) => `
ALTER TABLE ${s}.agent_queue ADD COLUMN IF NOT EXISTS group_key text;
DROP TABLE IF EXISTS ${s}.queue_waiting;
CREATE INDEX IF NOT EXISTS agent_queue_group_idx ON ${s}.agent_queue (agent_type, group_key, score, id)
  WHERE status = 'pending' AND group_key IS NOT NULL;

DROP FUNCTION IF EXISTS ${s}.queue_add(text, text, text, json, int, int, float8, float8, float8, float8, float8, int, float8, text);
CREATE OR REPLACE FUNCTION ${s}.queue_add(
  p_id text, p_user text, p_type text, p_data json, p_priority int, p_max_retries int,
  p_backoff_ms float8, p_created_ms float8, p_run_ms float8, p_score float8, p_expires_ms float8,
  p_cap int, p_turn_ms float8, p_channel text, p_group text)
RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  mine int;
  -- The client's times, moved onto the server's clock.
  shift float8 := ${s}.ms(now()) - p_created_ms;
BEGIN
  INSERT INTO ${s}.queue_users AS u (user_id, unfinished) VALUES (p_user, 1)
  ON CONFLICT (user_id) DO UPDATE SET unfinished = u.unfinished + 1
    WHERE p_cap IS NULL OR u.unfinished < p_cap
  RETURNING unfinished - 1 INTO mine;
  IF mine IS NULL THEN RETURN NULL; END IF;
  INSERT INTO ${s}.agent_queue (id, user_id, agent_type, request_data, priority, max_retries, backoff_ms,
                                created_at, run_at, score, expires_at, group_key)
  VALUES (p_id, p_user, p_type, p_data, p_priority, p_max_retries, p_backoff_ms, now(),
          ${s}.at_ms(p_run_ms + shift), p_score + shift + mine * p_turn_ms, ${s}.at_ms(p_expires_ms + shift), p_group);
  RETURN mine;
END
$fn$;

-- Claim: lapsed leases back in line first (bounded), then up to p_max from the front of the line.
CREATE OR REPLACE FUNCTION ${s}.queue_claim(p_type text, p_max int, p_lease_ms float8, p_channel text, p_durable boolean)
RETURNS SETOF ${s}.agent_queue LANGUAGE plpgsql AS $fn$
BEGIN
  -- A claim lost in a server crash only puts the job back in line (as a lapsed lease would):
  -- unless asked to, it does not wait for its commit to reach the disk.
  IF NOT p_durable THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
  UPDATE ${s}.agent_queue q SET status = 'pending', lease_until = NULL, lease_token = NULL
   WHERE q.id IN (SELECT id FROM ${s}.agent_queue
                   WHERE agent_type = p_type AND status = 'active' AND lease_until <= now()
                   LIMIT 1000 FOR UPDATE SKIP LOCKED);
  RETURN QUERY
  UPDATE ${s}.agent_queue q
     SET status = 'active', attempts = q.attempts + 1, started_at = now(),
         lease_until = now() + p_lease_ms * interval '1 millisecond', lease_token = gen_random_uuid()::text
    FROM (SELECT id FROM ${s}.agent_queue
           WHERE agent_type = p_type AND status = 'pending' AND run_at <= now() AND expires_at > now()
           ORDER BY score, id LIMIT p_max FOR UPDATE SKIP LOCKED) next
   WHERE q.id = next.id
  RETURNING q.*;
END
$fn$;

-- One group per claim: the first job in line (as queue_claim takes it), then the rest of its group.
CREATE OR REPLACE FUNCTION ${s}.queue_claim_group(p_type text, p_max int, p_lease_ms float8, p_channel text, p_durable boolean)
RETURNS SETOF ${s}.agent_queue LANGUAGE plpgsql AS $fn$
DECLARE
  head ${s}.agent_queue;
BEGIN
  SELECT * INTO head FROM ${s}.queue_claim(p_type, 1, p_lease_ms, p_channel, p_durable);
  IF NOT FOUND OR head.id IS NULL THEN RETURN; END IF;
  RETURN NEXT head;
  IF head.group_key IS NULL OR p_max <= 1 THEN RETURN; END IF;
  RETURN QUERY
  UPDATE ${s}.agent_queue q
     SET status = 'active', attempts = q.attempts + 1, started_at = now(),
         lease_until = now() + p_lease_ms * interval '1 millisecond', lease_token = gen_random_uuid()::text
    FROM (SELECT id FROM ${s}.agent_queue
           WHERE agent_type = p_type AND group_key = head.group_key AND status = 'pending'
             AND run_at <= now() AND expires_at > now()
           ORDER BY score, id LIMIT p_max - 1 FOR UPDATE SKIP LOCKED) next
   WHERE q.id = next.id
  RETURNING q.*;
END
$fn$;

-- Many settles in one transaction: the completes and fails of the batch together, the retries one
-- by one. Jobs, users' rows and the watch locks are each taken in one order, so two batches never
-- wait for each other in a circle. One result per input, false where the token did not hold.
CREATE OR REPLACE FUNCTION ${s}.queue_settle_many(p_ids text[], p_tokens text[], p_outcomes text[],
  p_texts text[], p_retry_ms float8[], p_channel text, p_durable boolean)
RETURNS boolean[] LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  oks boolean[] := array_fill(false, ARRAY[cardinality(p_ids)]);
  ids text[];
  idx int[];
  users text[];
BEGIN
  -- A settle lost in a server crash runs the job again (at least once, as after a lapsed lease).
  IF NOT p_durable THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
  FOR r IN SELECT u.i, u.id FROM unnest(p_ids) WITH ORDINALITY AS u(id, i)
            WHERE p_outcomes[u.i] = 'retry' ORDER BY u.id LOOP
    oks[r.i] := ${s}.queue_settle(r.id, p_tokens[r.i], 'retry', p_texts[r.i], p_retry_ms[r.i], p_channel);
  END LOOP;
  WITH held AS (
    SELECT q.id, q.user_id, u.i FROM unnest(p_ids) WITH ORDINALITY AS u(id, i)
      JOIN ${s}.agent_queue q ON q.id = u.id
     WHERE p_outcomes[u.i] <> 'retry' AND q.status = 'active' AND q.lease_token = p_tokens[u.i]
     ORDER BY q.id FOR UPDATE OF q)
  SELECT array_agg(id), array_agg(i), array_agg(user_id) INTO ids, idx, users FROM held;
  IF ids IS NULL THEN RETURN oks; END IF;
  UPDATE ${s}.agent_queue q
     SET status = p_outcomes[x.i],
         result = CASE WHEN p_outcomes[x.i] = 'completed' THEN p_texts[x.i]::json ELSE q.result END,
         error_message = CASE WHEN p_outcomes[x.i] = 'failed' THEN p_texts[x.i] ELSE q.error_message END,
         completed_at = now(), lease_until = NULL, lease_token = NULL
    FROM unnest(ids, idx) AS x(id, i)
   WHERE q.id = x.id;
  FOR k IN 1..cardinality(idx) LOOP oks[idx[k]] := true; END LOOP;
  PERFORM 1 FROM ${s}.queue_users WHERE user_id = ANY(users) ORDER BY user_id FOR UPDATE;
  UPDATE ${s}.queue_users u SET unfinished = u.unfinished - c.n
    FROM (SELECT x AS user_id, count(*)::int AS n FROM unnest(users) x GROUP BY x) c
   WHERE u.user_id = c.user_id;
  DELETE FROM ${s}.queue_users WHERE user_id = ANY(users) AND unfinished <= 0;
  -- Watcher and finisher meet on each job's lock (see queue_watch_job): one of them sees the other.
  PERFORM pg_advisory_xact_lock(${WATCH_LOCK}, h) FROM (SELECT DISTINCT hashtext(x) AS h FROM unnest(ids) x ORDER BY 1) l;
  FOR r IN DELETE FROM ${s}.queue_watch w WHERE w.id = ANY(ids) RETURNING w.id LOOP
    PERFORM pg_notify(p_channel, 'queue:done' || chr(10) || r.id);
  END LOOP;
  RETURN oks;
END
$fn$;
`
