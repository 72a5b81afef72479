/**
 * Claims find their rows by id. The claim's UPDATE joined the ids it locked back to the table,
 * and once the table had statistics the planner chose a hash join over a scan of the whole table
 * (every job ever kept), so a claim cost grew with the table. Now the locked ids go as an array
 * (`id = ANY(ARRAY(…))`), which the planner can only serve from the primary key: a claim of n
 * jobs touches n rows and the front of the line, whatever the table holds. Same for the lapsed
 * leases put back in line and for the rest of a group. `s` is the quoted schema.
 */
export const up = (s: string) => `
CREATE OR REPLACE FUNCTION ${s}.queue_claim(p_type text, p_max int, p_lease_ms float8, p_channel text, p_durable boolean)
RETURNS SETOF ${s}.agent_queue LANGUAGE plpgsql AS $fn$
BEGIN
  -- A claim lost in a server crash only puts the job back in line (as a lapsed lease would):
  -- unless asked to, it does not wait for its commit to reach the disk.
  IF NOT p_durable THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
  UPDATE ${s}.agent_queue q SET status = 'pending', lease_until = NULL, lease_token = NULL
   WHERE q.id = ANY(ARRAY(SELECT id FROM ${s}.agent_queue
                           WHERE agent_type = p_type AND status = 'active' AND lease_until <= now()
                           LIMIT 1000 FOR UPDATE SKIP LOCKED));
  RETURN QUERY
  UPDATE ${s}.agent_queue q
     SET status = 'active', attempts = q.attempts + 1, started_at = now(),
         lease_until = now() + p_lease_ms * interval '1 millisecond', lease_token = gen_random_uuid()::text
   WHERE q.id = ANY(ARRAY(SELECT id FROM ${s}.agent_queue
                           WHERE agent_type = p_type AND status = 'pending' AND run_at <= now() AND expires_at > now()
                           ORDER BY score, id LIMIT p_max FOR UPDATE SKIP LOCKED))
  RETURNING q.*;
END
$fn$;

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
   WHERE q.id = ANY(ARRAY(SELECT id FROM ${s}.agent_queue
                           WHERE agent_type = p_type AND group_key = head.group_key AND status = 'pending'
                             AND run_at <= now() AND expires_at > now()
                           ORDER BY score, id LIMIT p_max - 1 FOR UPDATE SKIP LOCKED))
  RETURNING q.*;
END
$fn$;
`
