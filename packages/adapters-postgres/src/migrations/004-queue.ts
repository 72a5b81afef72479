/** The advisory lock space (first key) of the per-job locks watchers and finishers share. */
const WATCH_LOCK = 0x51575431

/**
 * The queue port. `agent_queue` keeps seed 000's columns where they mean the same (user_id,
 * agent_type, request_data, priority, status, result, error_message, max_retries, created_at,
 * started_at, completed_at, expires_at) and adds what leases and the claim order need: a text id
 * (the core's UUIDs), attempts, backoff, run_at, score, lease_until and lease_token. Status is
 * pending / active / completed / failed / expired / cancelled. JSON is stored as `json`, the
 * text as given. Claims take the front of a partial index with FOR UPDATE SKIP LOCKED; every
 * housekeeping step has its own partial index and a bound. `queue_users` counts each user's
 * unfinished jobs so a cap is checked and taken in one row lock. `s` is the quoted schema.
 */
export const up = (s: string) => `
CREATE TABLE IF NOT EXISTS ${s}.agent_queue (
  id             text PRIMARY KEY,
  user_id        text NOT NULL,
  agent_type     text NOT NULL,
  request_data   json NOT NULL,
  priority       integer NOT NULL DEFAULT 5,
  status         text NOT NULL DEFAULT 'pending',
  result         json,
  error_message  text,
  attempts       integer NOT NULL DEFAULT 0,
  max_retries    integer NOT NULL DEFAULT 3,
  backoff_ms     double precision NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  run_at         timestamptz NOT NULL,
  score          double precision NOT NULL,
  started_at     timestamptz,
  completed_at   timestamptz,
  expires_at     timestamptz NOT NULL,
  lease_until    timestamptz,
  lease_token    text
);
CREATE INDEX IF NOT EXISTS agent_queue_line_idx ON ${s}.agent_queue (agent_type, score, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS agent_queue_expiry_idx ON ${s}.agent_queue (agent_type, expires_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS agent_queue_lease_idx ON ${s}.agent_queue (agent_type, lease_until) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS agent_queue_done_idx ON ${s}.agent_queue (completed_at)
  WHERE status IN ('completed', 'failed', 'expired', 'cancelled');

CREATE TABLE IF NOT EXISTS ${s}.queue_users (
  user_id     text PRIMARY KEY,
  unfinished  integer NOT NULL
);

-- Jobs someone waits for: only finishing those sends a NOTIFY. A table apart, so that watching
-- never locks a job's row (a claim skips locked rows, and would miss the job).
CREATE TABLE IF NOT EXISTS ${s}.queue_watch (
  id  text PRIMARY KEY
);

-- A worker of this type found the line short and sleeps: the next add wakes it with a NOTIFY.
-- (Adds send none while every worker is busy: NOTIFY serialises commits, so it is costly.)
CREATE TABLE IF NOT EXISTS ${s}.queue_waiting (
  agent_type  text PRIMARY KEY,
  hungry      boolean NOT NULL DEFAULT false
);

CREATE OR REPLACE FUNCTION ${s}.ms(t timestamptz) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT (extract(epoch FROM t) * 1000)::float8 $$;
CREATE OR REPLACE FUNCTION ${s}.at_ms(ms double precision) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT to_timestamp(ms / 1000.0) $$;

-- Finishes a job the caller holds locked: its user has one unfinished job less; waiters hear it.
CREATE OR REPLACE FUNCTION ${s}.queue_finish(p_id text, p_user text, p_status text, p_result json, p_error text, p_channel text)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE ${s}.agent_queue
     SET status = p_status, result = coalesce(p_result, result), error_message = coalesce(p_error, error_message),
         completed_at = now(), lease_until = NULL, lease_token = NULL
   WHERE id = p_id;
  UPDATE ${s}.queue_users SET unfinished = unfinished - 1 WHERE user_id = p_user;
  DELETE FROM ${s}.queue_users WHERE user_id = p_user AND unfinished <= 0;
  -- Watcher and finisher meet on this lock (see queue_watch_job): one of them sees the other.
  PERFORM pg_advisory_xact_lock(${WATCH_LOCK}, hashtext(p_id));
  DELETE FROM ${s}.queue_watch WHERE id = p_id;
  IF FOUND THEN PERFORM pg_notify(p_channel, 'queue:done' || chr(10) || p_id); END IF;
END
$fn$;

-- A waiter watches a job: its status now, and if that is not final, its finish will NOTIFY.
-- Under the job's lock, taken before the status is read: a finish that held it has committed
-- (the read sees it); one that waits for it will see the watch row.
CREATE OR REPLACE FUNCTION ${s}.queue_watch_job(p_id text)
RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  st text;
BEGIN
  PERFORM pg_advisory_xact_lock(${WATCH_LOCK}, hashtext(p_id));
  SELECT status INTO st FROM ${s}.agent_queue WHERE id = p_id;
  IF st IN ('pending', 'active') THEN
    INSERT INTO ${s}.queue_watch (id) VALUES (p_id) ON CONFLICT DO NOTHING;
  END IF;
  RETURN st;
END
$fn$;

-- Add: NULL when the user is at the cap, else how many unfinished jobs they had (their turn).
-- Wakes the type's workers if one sleeps (see queue_claim for why the shared lock makes that safe).
CREATE OR REPLACE FUNCTION ${s}.queue_add(
  p_id text, p_user text, p_type text, p_data json, p_priority int, p_max_retries int,
  p_backoff_ms float8, p_created_ms float8, p_run_ms float8, p_score float8, p_expires_ms float8,
  p_cap int, p_turn_ms float8, p_channel text)
RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  mine int;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtext(p_channel || chr(10) || p_type));
  INSERT INTO ${s}.queue_users AS u (user_id, unfinished) VALUES (p_user, 1)
  ON CONFLICT (user_id) DO UPDATE SET unfinished = u.unfinished + 1
    WHERE p_cap IS NULL OR u.unfinished < p_cap
  RETURNING unfinished - 1 INTO mine;
  IF mine IS NULL THEN RETURN NULL; END IF;
  INSERT INTO ${s}.agent_queue (id, user_id, agent_type, request_data, priority, max_retries, backoff_ms,
                                created_at, run_at, score, expires_at)
  VALUES (p_id, p_user, p_type, p_data, p_priority, p_max_retries, p_backoff_ms, ${s}.at_ms(p_created_ms),
          ${s}.at_ms(p_run_ms), p_score + mine * p_turn_ms, ${s}.at_ms(p_expires_ms));
  UPDATE ${s}.queue_waiting SET hungry = false WHERE agent_type = p_type AND hungry;
  IF FOUND THEN PERFORM pg_notify(p_channel, 'queue:wake:' || p_type || chr(10) || '1'); END IF;
  RETURN mine;
END
$fn$;

-- Finished jobs past the retention go, oldest first, at most p_max of them (NULL: all).
CREATE OR REPLACE FUNCTION ${s}.queue_trim(p_retention_ms float8, p_max int)
RETURNS bigint LANGUAGE sql AS $$
  WITH old AS (
    SELECT id FROM ${s}.agent_queue
     WHERE status IN ('completed', 'failed', 'expired', 'cancelled')
       AND completed_at < now() - p_retention_ms * interval '1 millisecond'
     ORDER BY completed_at LIMIT p_max FOR UPDATE SKIP LOCKED),
  gone AS (DELETE FROM ${s}.agent_queue q USING old WHERE q.id = old.id RETURNING 1)
  SELECT count(*) FROM gone
$$;

-- Housekeeping, each step by its own index and bounded: expired jobs finished, old finished
-- jobs removed. Run apart from claims (it takes users' rows; a claim must hold none of those).
CREATE OR REPLACE FUNCTION ${s}.queue_sweep(p_type text, p_retention_ms float8, p_channel text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  j record;
BEGIN
  FOR j IN SELECT id, user_id FROM ${s}.agent_queue
            WHERE agent_type = p_type AND status = 'pending' AND expires_at <= now()
            ORDER BY user_id LIMIT 1000 FOR UPDATE SKIP LOCKED LOOP
    PERFORM ${s}.queue_finish(j.id, j.user_id, 'expired', NULL, 'expired before it ran', p_channel);
  END LOOP;
  PERFORM ${s}.queue_trim(p_retention_ms, 100);
END
$fn$;

-- Claim: lapsed leases back in line first (bounded), then up to p_max from the front of the line.
CREATE OR REPLACE FUNCTION ${s}.queue_claim(p_type text, p_max int, p_lease_ms float8, p_channel text, p_durable boolean)
RETURNS SETOF ${s}.agent_queue LANGUAGE plpgsql AS $fn$
DECLARE
  got int := 0;
  n int;
BEGIN
  -- A claim lost in a server crash only puts the job back in line (as a lapsed lease would):
  -- unless asked to, it does not wait for its commit to reach the disk.
  IF NOT p_durable THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
  UPDATE ${s}.agent_queue q SET status = 'pending', lease_until = NULL, lease_token = NULL
   WHERE q.id IN (SELECT id FROM ${s}.agent_queue
                   WHERE agent_type = p_type AND status = 'active' AND lease_until <= now()
                   LIMIT 1000 FOR UPDATE SKIP LOCKED);
  FOR attempt IN 1..2 LOOP
    RETURN QUERY
    UPDATE ${s}.agent_queue q
       SET status = 'active', attempts = q.attempts + 1, started_at = now(),
           lease_until = now() + p_lease_ms * interval '1 millisecond', lease_token = gen_random_uuid()::text
      FROM (SELECT id FROM ${s}.agent_queue
             WHERE agent_type = p_type AND status = 'pending' AND run_at <= now() AND expires_at > now()
             ORDER BY score, id LIMIT p_max - got FOR UPDATE SKIP LOCKED) next
     WHERE q.id = next.id
    RETURNING q.*;
    GET DIAGNOSTICS n = ROW_COUNT;
    got := got + n;
    EXIT WHEN got >= p_max OR attempt = 2;
    -- Short: say so (the next add wakes us), then look once more. The exclusive lock waits for
    -- adds in flight (their jobs are then visible to the second look) and holds new ones until
    -- this commits (they then see the flag): no job slips between the look and the flag.
    PERFORM pg_advisory_xact_lock(hashtext(p_channel || chr(10) || p_type));
    INSERT INTO ${s}.queue_waiting AS w (agent_type, hungry) VALUES (p_type, true)
    ON CONFLICT (agent_type) DO UPDATE SET hungry = true WHERE NOT w.hungry;
  END LOOP;
END
$fn$;

-- Complete, fail or retry ('completed' / 'failed' / 'retry'), only with the lease's token.
CREATE OR REPLACE FUNCTION ${s}.queue_settle(p_id text, p_token text, p_outcome text, p_text text, p_retry_ms float8, p_channel text)
RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  j record;
BEGIN
  SELECT id, user_id, agent_type INTO j FROM ${s}.agent_queue
   WHERE id = p_id AND status = 'active' AND lease_token = p_token FOR UPDATE;
  IF NOT FOUND THEN RETURN false; END IF;
  IF p_outcome = 'retry' THEN
    UPDATE ${s}.agent_queue SET status = 'pending', error_message = p_text, run_at = ${s}.at_ms(p_retry_ms),
           lease_until = NULL, lease_token = NULL WHERE id = p_id;
  ELSIF p_outcome = 'completed' THEN
    PERFORM ${s}.queue_finish(p_id, j.user_id, 'completed', p_text::json, NULL, p_channel);
  ELSE
    PERFORM ${s}.queue_finish(p_id, j.user_id, 'failed', NULL, p_text, p_channel);
  END IF;
  RETURN true;
END
$fn$;

-- Many settles in one transaction (one commit). Users' rows are locked in one order, so two
-- batches never wait for each other in a circle. One result per input, false where refused.
CREATE OR REPLACE FUNCTION ${s}.queue_settle_many(p_ids text[], p_tokens text[], p_outcomes text[],
  p_texts text[], p_retry_ms float8[], p_channel text, p_durable boolean)
RETURNS boolean[] LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  oks boolean[] := array_fill(false, ARRAY[cardinality(p_ids)]);
BEGIN
  -- A settle lost in a server crash runs the job again (at least once, as after a lapsed lease).
  IF NOT p_durable THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
  FOR r IN SELECT u.i, u.id FROM unnest(p_ids) WITH ORDINALITY AS u(id, i)
             JOIN ${s}.agent_queue q ON q.id = u.id ORDER BY q.user_id, q.id LOOP
    oks[r.i] := ${s}.queue_settle(r.id, p_tokens[r.i], p_outcomes[r.i], p_texts[r.i], p_retry_ms[r.i], p_channel);
  END LOOP;
  RETURN oks;
END
$fn$;

-- Cancel a pending job; or expire it, when it is past its time (p_status = 'expired').
CREATE OR REPLACE FUNCTION ${s}.queue_end_pending(p_id text, p_status text, p_channel text)
RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  j record;
BEGIN
  SELECT id, user_id INTO j FROM ${s}.agent_queue
   WHERE id = p_id AND status = 'pending' AND (p_status <> 'expired' OR expires_at <= now()) FOR UPDATE;
  IF NOT FOUND THEN RETURN false; END IF;
  PERFORM ${s}.queue_finish(p_id, j.user_id, p_status,  NULL,
    CASE WHEN p_status = 'expired' THEN 'expired before it ran' END, p_channel);
  RETURN true;
END
$fn$;
`
