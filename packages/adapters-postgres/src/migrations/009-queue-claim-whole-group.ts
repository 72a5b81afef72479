/**
 * A group claim takes a whole group or none of it. It took the first job in line, then the rest
 * of its group, in two steps: a claim running beside it took the next job of the same group as
 * its own first one, and a group of ten arrived as 9 + 1. Now a claim walks the front of the line
 * and, for a job with a group, claims that group only if it can take the group's advisory lock
 * (held to the end of its transaction): a group being claimed elsewhere is passed over, and the
 * claim that holds it takes every pending job of it, up to `p_max`. The key of the lock names the
 * schema and the type, so schemas and types never share a group's lock (a schema name is
 * `[a-z_][a-z0-9_]*`, so its quoted form is a safe text literal too). `s` is the quoted schema.
 */
export const up = (s: string) => `
CREATE OR REPLACE FUNCTION ${s}.queue_claim_group(p_type text, p_max int, p_lease_ms float8, p_channel text, p_durable boolean)
RETURNS SETOF ${s}.agent_queue LANGUAGE plpgsql AS $fn$
DECLARE
  cand record;
  n int;
BEGIN
  IF NOT p_durable THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
  UPDATE ${s}.agent_queue q SET status = 'pending', lease_until = NULL, lease_token = NULL
   WHERE q.id = ANY(ARRAY(SELECT id FROM ${s}.agent_queue
                           WHERE agent_type = p_type AND status = 'active' AND lease_until <= now()
                           LIMIT 1000 FOR UPDATE SKIP LOCKED));
  FOR cand IN SELECT id, group_key FROM ${s}.agent_queue
               WHERE agent_type = p_type AND status = 'pending' AND run_at <= now() AND expires_at > now()
               ORDER BY score, id LIMIT 64
  LOOP
    IF cand.group_key IS NULL OR p_max <= 1 THEN
      RETURN QUERY
      UPDATE ${s}.agent_queue q
         SET status = 'active', attempts = q.attempts + 1, started_at = now(),
             lease_until = now() + p_lease_ms * interval '1 millisecond', lease_token = gen_random_uuid()::text
       WHERE q.id = ANY(ARRAY(SELECT id FROM ${s}.agent_queue
                               WHERE id = cand.id AND status = 'pending' FOR UPDATE SKIP LOCKED))
      RETURNING q.*;
    ELSIF pg_try_advisory_xact_lock(hashtextextended('${s}' || chr(31) || p_type || chr(31) || cand.group_key, 0)) THEN
      RETURN QUERY
      UPDATE ${s}.agent_queue q
         SET status = 'active', attempts = q.attempts + 1, started_at = now(),
             lease_until = now() + p_lease_ms * interval '1 millisecond', lease_token = gen_random_uuid()::text
       WHERE q.id = ANY(ARRAY(SELECT id FROM ${s}.agent_queue
                               WHERE agent_type = p_type AND group_key = cand.group_key AND status = 'pending'
                                 AND run_at <= now() AND expires_at > now()
                               ORDER BY score, id LIMIT p_max FOR UPDATE SKIP LOCKED))
      RETURNING q.*;
    ELSE
      CONTINUE; -- another claim is taking this group
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN RETURN; END IF;
  END LOOP;
END
$fn$;
`
