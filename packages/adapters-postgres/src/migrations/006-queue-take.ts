/** The advisory lock space of the per-job locks watchers and finishers share (as in migration 4). */
const WATCH_LOCK = 0x51575431

/**
 * Adds that take their job. `queue_add_take` adds a job as `queue_add` does and, given a lease,
 * takes it at once for the adding instance's idle worker when it is due and no claimable job of
 * its type is ahead of it in line (lower score, ties by id): added active with a lease, as that
 * worker's next claim would have left it. It returns the user's count before the add (NULL at
 * the cap) and the lease token (NULL when the job went in line). `queue_add` now calls it.
 * `ms()` reads a time as float8 epoch milliseconds without a numeric in between, and as STABLE
 * (what the time-zone aware date_part is) the planner can inline it: a claim of 1,000 jobs reads
 * six times per row. `queue_settle_many` checks each token in the UPDATE that settles the job,
 * in id order, instead of locking the rows first and updating them after (each row was written
 * twice).
 */
export const up = (s: string) => `
CREATE OR REPLACE FUNCTION ${s}.ms(t timestamptz) RETURNS double precision
LANGUAGE sql STABLE AS $$ SELECT date_part('epoch', t) * 1000 $$;

CREATE OR REPLACE FUNCTION ${s}.queue_add_take(
  p_id text, p_user text, p_type text, p_data json, p_priority int, p_max_retries int,
  p_backoff_ms float8, p_created_ms float8, p_run_ms float8, p_score float8, p_expires_ms float8,
  p_cap int, p_turn_ms float8, p_group text, p_lease_ms float8)
RETURNS TABLE (mine int, token text) LANGUAGE plpgsql AS $fn$
DECLARE
  -- The client's times, moved onto the server's clock.
  shift float8 := ${s}.ms(now()) - p_created_ms;
  v_run timestamptz := ${s}.at_ms(p_run_ms + shift);
  v_score float8;
BEGIN
  INSERT INTO ${s}.queue_users AS u (user_id, unfinished) VALUES (p_user, 1)
  ON CONFLICT (user_id) DO UPDATE SET unfinished = u.unfinished + 1
    WHERE p_cap IS NULL OR u.unfinished < p_cap
  RETURNING unfinished - 1 INTO mine;
  IF mine IS NULL THEN RETURN NEXT; RETURN; END IF;
  v_score := p_score + shift + mine * p_turn_ms;
  IF p_lease_ms IS NOT NULL AND v_run <= now() AND NOT EXISTS (
       SELECT 1 FROM ${s}.agent_queue q
        WHERE q.agent_type = p_type AND q.status = 'pending' AND (q.score, q.id) < (v_score, p_id)
          AND q.run_at <= now() AND q.expires_at > now()) THEN
    token := gen_random_uuid()::text;
  END IF;
  INSERT INTO ${s}.agent_queue (id, user_id, agent_type, request_data, priority, max_retries, backoff_ms,
                                created_at, run_at, score, expires_at, group_key,
                                status, attempts, started_at, lease_until, lease_token)
  VALUES (p_id, p_user, p_type, p_data, p_priority, p_max_retries, p_backoff_ms, now(),
          v_run, v_score, ${s}.at_ms(p_expires_ms + shift), p_group,
          CASE WHEN token IS NULL THEN 'pending' ELSE 'active' END,
          CASE WHEN token IS NULL THEN 0 ELSE 1 END,
          CASE WHEN token IS NULL THEN NULL ELSE now() END,
          CASE WHEN token IS NULL THEN NULL ELSE now() + p_lease_ms * interval '1 millisecond' END,
          token);
  RETURN NEXT;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.queue_add(
  p_id text, p_user text, p_type text, p_data json, p_priority int, p_max_retries int,
  p_backoff_ms float8, p_created_ms float8, p_run_ms float8, p_score float8, p_expires_ms float8,
  p_cap int, p_turn_ms float8, p_channel text, p_group text)
RETURNS int LANGUAGE sql AS $fn$
  SELECT mine FROM ${s}.queue_add_take(p_id, p_user, p_type, p_data, p_priority, p_max_retries,
    p_backoff_ms, p_created_ms, p_run_ms, p_score, p_expires_ms, p_cap, p_turn_ms, p_group, NULL)
$fn$;

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
  WITH settled AS (
    UPDATE ${s}.agent_queue q
       SET status = u.outcome,
           result = CASE WHEN u.outcome = 'completed' THEN u.body::json ELSE q.result END,
           error_message = CASE WHEN u.outcome = 'failed' THEN u.body ELSE q.error_message END,
           completed_at = now(), lease_until = NULL, lease_token = NULL
      FROM (SELECT * FROM unnest(p_ids, p_tokens, p_outcomes, p_texts) WITH ORDINALITY AS x(id, token, outcome, body, i)
             WHERE x.outcome <> 'retry' ORDER BY x.id) u
     WHERE q.id = u.id AND q.status = 'active' AND q.lease_token = u.token
    RETURNING q.id, q.user_id, u.i)
  SELECT array_agg(id), array_agg(i), array_agg(user_id) INTO ids, idx, users FROM settled;
  IF ids IS NULL THEN RETURN oks; END IF;
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
